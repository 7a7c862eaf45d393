import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import {
  checkRecordHeader,
  packFrames,
  unpackFrames,
  writeRecordHeader,
  RECORD_HEADER_BYTES,
  RECORD_TAG_BYTES,
  type ErrorCode,
} from '@tidings/protocol';
import { wsHeaderBytes, writeWsBinaryHeader } from '../gateway/ws-frame.ts';

/** The derived secret of one direction: AES-256-GCM key and key id. */
export interface DirectionKeys {
  readonly key: Uint8Array;
  readonly keyId: Uint8Array;
}

/** Result of opening a record: its frames, or why it was refused. */
export type OpenResult =
  | { readonly ok: true; readonly frames: Uint8Array[] }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * One secure session's record layer on node:crypto (AES-256-GCM). Sealing
 * and opening are synchronous, so order is the call order; each direction
 * has its own key, key id and counter, and a received counter must be
 * exactly the previous one plus one.
 */
export class SecureChannel {
  private readonly sendKey: KeyObject;
  private readonly sendId: Uint8Array;
  private readonly recvKey: KeyObject;
  private readonly recvId: Uint8Array;
  private sendCounter = 0;
  private recvCounter = 0;
  /** The header of the record being sealed / opened, and its nonce part: reused (node:crypto copies them), no view per record. */
  private readonly sendHeader = Buffer.alloc(RECORD_HEADER_BYTES);
  private readonly sendNonce = this.sendHeader.subarray(1);
  private readonly recvHeader = Buffer.alloc(RECORD_HEADER_BYTES);
  private readonly recvNonce = this.recvHeader.subarray(1);

  constructor(send: DirectionKeys, recv: DirectionKeys) {
    // A KeyObject keeps OpenSSL from re-importing the raw key on every record (4x cheaper).
    this.sendKey = createSecretKey(send.key);
    this.sendId = send.keyId;
    this.recvKey = createSecretKey(recv.key);
    this.recvId = recv.keyId;
  }

  /** Records sealed so far. */
  get sent(): number {
    return this.sendCounter;
  }

  /** Seals one or more encoded frames into one record. */
  seal(frames: readonly Uint8Array[]): Buffer {
    return this.sealAfter(packFrames(frames), 0);
  }

  /**
   * Seals frames into one record inside a complete unmasked binary WebSocket
   * frame (what `ws.send(seal(frames))` would put on the socket), in one
   * buffer, so the caller writes it to the socket as is.
   */
  sealWsFrame(frames: readonly Uint8Array[]): Buffer {
    const plain = packFrames(frames);
    const n = RECORD_HEADER_BYTES + plain.length + RECORD_TAG_BYTES;
    const out = this.sealAfter(plain, wsHeaderBytes(n));
    writeWsBinaryHeader(out, n);
    return out;
  }

  /** The record sealing `plain`, after `skip` bytes left for the caller. */
  private sealAfter(plain: Uint8Array, skip: number): Buffer {
    const out = Buffer.allocUnsafe(skip + RECORD_HEADER_BYTES + plain.length + RECORD_TAG_BYTES);
    const header = this.sendHeader;
    writeRecordHeader(header, this.sendId, this.sendCounter++);
    const c = createCipheriv('aes-256-gcm', this.sendKey, this.sendNonce, { authTagLength: RECORD_TAG_BYTES });
    c.setAAD(header);
    header.copy(out, skip);
    const body = c.update(plain);
    body.copy(out, skip + RECORD_HEADER_BYTES);
    c.final();
    c.getAuthTag().copy(out, skip + RECORD_HEADER_BYTES + body.length);
    return out;
  }

  /**
   * Opens one record: checks version, key id and counter, then the tag.
   * A refused record leaves the channel unusable (the caller closes).
   */
  open(record: Uint8Array): OpenResult {
    const bad = checkRecordHeader(record, this.recvId, this.recvCounter);
    if (bad) return { ok: false, ...bad };
    const header = this.recvHeader;
    for (let i = 0; i < RECORD_HEADER_BYTES; i++) header[i] = record[i]!;
    const tagAt = record.length - RECORD_TAG_BYTES;
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-gcm', this.recvKey, this.recvNonce, { authTagLength: RECORD_TAG_BYTES });
      d.setAAD(header);
      d.setAuthTag(record.subarray(tagAt));
      plain = d.update(record.subarray(RECORD_HEADER_BYTES, tagAt));
      d.final();
    } catch {
      return { ok: false, code: 'security.bad_tag', message: 'record failed authentication' };
    }
    this.recvCounter++;
    const frames = unpackFrames(plain);
    if (!frames) return { ok: false, code: 'protocol.malformed_frame', message: 'record plaintext is not a frame list' };
    return { ok: true, frames };
  }
}
