/**
 * The secure session's wire facts, shared by every implementation (the
 * server's node:crypto one, the SDK's WebCrypto one, the load generator):
 * the transcript the server signs, the key-derivation labels, the sealed
 * record layout and the counter rule. No cryptography runs here; see
 * docs/protocol.md, "Secure session".
 */
import { PROTOCOL_VERSION } from './limits.ts';
import type { ErrorCode } from './errors.ts';

/** Subprotocol a client offers to open a secure session. */
export const SECURE_SUBPROTOCOL = 'tidings.v1.secure';

/** First byte of every sealed record (record format version 1). */
export const RECORD_VERSION = 1;

/** Sealed record header: version (1) + key id (4) + counter (8, big-endian). It is the AEAD's associated data. */
export const RECORD_HEADER_BYTES = 13;

/** AEAD tag length (AES-256-GCM, 128-bit tag). */
export const RECORD_TAG_BYTES = 16;

/** Length of the X25519 and Ed25519 public keys, and of each handshake nonce. */
export const SECURE_KEY_BYTES = 32;

/** HKDF output per direction: a 32-byte AES-256-GCM key and a 4-byte key id. */
export const DIRECTION_SECRET_BYTES = 36;

/** HKDF `info` prefix per direction; the transcript hash follows it. */
export const KEY_LABELS = { c2s: 'tidings.v1 key c2s', s2c: 'tidings.v1 key s2c' } as const;

const TRANSCRIPT_LABEL = 'tidings.v1 secure session transcript';

const enc = new TextEncoder();

/** What the server signs and both sides hash into the keys. */
export interface TranscriptParts {
  readonly clientEphemeral: Uint8Array;
  readonly clientNonce: Uint8Array;
  readonly serverEphemeral: Uint8Array;
  readonly serverNonce: Uint8Array;
  readonly connectionId: string;
  /** The server's long-term Ed25519 public key. */
  readonly serverKey: Uint8Array;
}

/**
 * The handshake transcript: a label, the protocol version, then every
 * handshake value with a 2-byte length prefix, so no two different
 * handshakes can produce the same bytes.
 */
export function secureTranscript(p: TranscriptParts): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(TRANSCRIPT_LABEL), Uint8Array.of(PROTOCOL_VERSION)];
  for (const v of [p.clientEphemeral, p.clientNonce, p.serverEphemeral, p.serverNonce, enc.encode(p.connectionId), p.serverKey]) {
    parts.push(Uint8Array.of(v.length >> 8, v.length & 0xff), v);
  }
  return concatBytes(parts);
}

/** The HKDF salt: both nonces, client first. */
export function secureSalt(clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  return concatBytes([clientNonce, serverNonce]);
}

/** The HKDF `info` of one direction: its label and the transcript hash. */
export function keyInfo(direction: keyof typeof KEY_LABELS, transcriptHash: Uint8Array): Uint8Array {
  return concatBytes([enc.encode(KEY_LABELS[direction]), transcriptHash]);
}

/** True for a handshake value of the right length (keys and nonces are all 32 bytes). */
export function isKeyLength(v: Uint8Array): boolean {
  return v.length === SECURE_KEY_BYTES;
}

/** True when an X25519 result is all zeros (a small-order point: the peer contributed nothing). */
export function isAllZero(v: Uint8Array): boolean {
  let acc = 0;
  for (const b of v) acc |= b;
  return acc === 0;
}

/**
 * Writes a record header into `out[0..13)`. The 12-byte AEAD nonce is
 * `out[1..13)`: key id then counter, unique per (key, record).
 */
export function writeRecordHeader(out: Uint8Array, keyId: Uint8Array, counter: number): void {
  out[0] = RECORD_VERSION;
  out.set(keyId, 1);
  const hi = Math.floor(counter / 0x1_0000_0000);
  const lo = counter >>> 0;
  out[5] = hi >>> 24;
  out[6] = (hi >>> 16) & 0xff;
  out[7] = (hi >>> 8) & 0xff;
  out[8] = hi & 0xff;
  out[9] = lo >>> 24;
  out[10] = (lo >>> 16) & 0xff;
  out[11] = (lo >>> 8) & 0xff;
  out[12] = lo & 0xff;
}

/** Reads the counter of a record header (safe up to 2^53, far beyond any session). */
export function readRecordCounter(record: Uint8Array): number {
  const hi = ((record[5]! << 24) | (record[6]! << 16) | (record[7]! << 8) | record[8]!) >>> 0;
  const lo = ((record[9]! << 24) | (record[10]! << 16) | (record[11]! << 8) | record[12]!) >>> 0;
  return hi * 0x1_0000_0000 + lo;
}

/** Why a record is refused before decryption, or undefined when its header is acceptable. */
export function checkRecordHeader(
  record: Uint8Array,
  keyId: Uint8Array,
  expected: number,
): { readonly code: ErrorCode; readonly message: string } | undefined {
  if (record.length < RECORD_HEADER_BYTES + RECORD_TAG_BYTES) return { code: 'protocol.malformed_frame', message: 'sealed record too short' };
  if (record[0] !== RECORD_VERSION) return { code: 'protocol.unsupported_version', message: `record version ${record[0]} is not supported` };
  if (record[1] !== keyId[0] || record[2] !== keyId[1] || record[3] !== keyId[2] || record[4] !== keyId[3]) {
    return { code: 'security.wrong_session', message: 'record sealed for another session' };
  }
  const counter = readRecordCounter(record);
  if (counter < expected) return { code: 'security.replay', message: `counter ${counter} already seen (expected ${expected})` };
  if (counter > expected) return { code: 'security.out_of_order', message: `counter ${counter} skips ahead (expected ${expected})` };
  return undefined;
}

/**
 * Plaintext of a record: one or more frames, each prefixed by its length as
 * a varint (a sender may coalesce the frames of one event-loop turn).
 */
export function packFrames(frames: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const f of frames) total += varintSize(f.length) + f.length;
  const out = new Uint8Array(total);
  let p = 0;
  for (const f of frames) {
    let n = f.length;
    while (n >= 0x80) {
      out[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[p++] = n;
    out.set(f, p);
    p += f.length;
  }
  return out;
}

/** Splits a record's plaintext into frames (views, no copies); undefined when the lengths do not add up. */
export function unpackFrames(plain: Uint8Array): Uint8Array[] | undefined {
  const frames: Uint8Array[] = [];
  let p = 0;
  while (p < plain.length) {
    let n = 0;
    let shift = 0;
    for (;;) {
      if (p >= plain.length || shift > 28) return undefined;
      const b = plain[p++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    if (p + n > plain.length) return undefined;
    frames.push(plain.subarray(p, p + n));
    p += n;
  }
  return frames.length > 0 ? frames : undefined;
}

function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n >>>= 7;
    s++;
  }
  return s;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes a server key given as base64 or base64url (32 raw bytes); undefined when it is not one. */
export function parseServerKey(text: string): Uint8Array | undefined {
  const b64 = text.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(b64)) return undefined;
  const bin = atob(b64.length === 43 ? b64 + '=' : b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.length === SECURE_KEY_BYTES ? out : undefined;
}
