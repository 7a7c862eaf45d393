import {
  checkRecordHeader,
  decodeFrame,
  encodeFrame,
  ERRORS,
  packFrames,
  unpackFrames,
  writeRecordHeader,
  RECORD_HEADER_BYTES,
  type ErrorCode,
} from '@tidings/protocol';
import { openWith, sealWith, ServerKeyMismatch, startWebHandshake, type DirectionKey, type WebHandshake } from './secure-crypto.ts';
import { toBytes, WS_OPEN, type WebSocketLike } from './transport.ts';

/** Frames written in one turn are sealed together up to this many bytes. */
const MAX_COALESCED_BYTES = 16 * 1024;

/** What a secure socket needs. */
export interface SecureSocketOptions {
  /** The user token: sent inside the channel, in the first sealed frame. */
  readonly token: string;
  /**
   * The server long-term keys accepted (any one of them). Absent only when the
   * app opted out of pinning (`insecureUnpinnedServerKey`): then the key the
   * server presents is accepted, and an active man in the middle reads everything.
   */
  readonly pinned?: readonly Uint8Array[];
  readonly sdk: string;
  readonly sdkVersion: string;
}

/**
 * A WebSocket carrying a secure session, with the WebSocket API on top: the
 * session above it reads and writes plain frames. Handshake on open, then
 * every message is a sealed record. WebCrypto is asynchronous, so records
 * are opened and sent through one promise chain per direction, which keeps
 * their order; the frames written in one turn are sealed as one record.
 */
export class SecureSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly ws: WebSocketLike;
  private readonly o: SecureSocketOptions;
  private readonly handshake: Promise<WebHandshake>;
  private keys: { send: DirectionKey; recv: DirectionKey } | undefined;
  private welcomed = false;
  private sendCounter = 0;
  private recvCounter = 0;
  private pending: Uint8Array[] = [];
  private scheduled = false;
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(ws: WebSocketLike, o: SecureSocketOptions) {
    this.ws = ws;
    this.o = o;
    this.handshake = startWebHandshake();
    this.handshake.catch(() => {});
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.handshake.then(
        (h) => this.ws.readyState === WS_OPEN && this.ws.send(encodeFrame({ rid: 0, body: { case: 'secureHello', value: h.hello } })),
        () => this.fail('security.handshake_failed'),
      );
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
      // Frames still being opened (say, the error frame announcing this close) go up first.
      this.inbound = this.inbound.then(() => this.emitClose(ev.code, ev.reason));
    };
    ws.onerror = (ev) => this.onerror?.(ev);
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: Uint8Array): void {
    if (this.ended) return;
    this.pending.push(data);
    if (this.keys && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  close(code?: number, reason?: string): void {
    this.ended = true;
    this.ws.close(code, reason);
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.keys || this.ended) return;
    // Coalesce small frames, but keep every record well under the server's message limit.
    while (this.pending.length > 0) {
      let n = 0;
      let size = 0;
      while (n < this.pending.length && (n === 0 || size + this.pending[n]!.length <= MAX_COALESCED_BYTES)) size += this.pending[n++]!.length;
      this.sealRecord(this.pending.splice(0, n));
    }
  }

  private sealRecord(frames: Uint8Array[]): void {
    const keys = this.keys!;
    const plain = packFrames(frames);
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    writeRecordHeader(header, keys.send.keyId, this.sendCounter++);
    // Encryption starts now (in parallel with earlier records); sending waits its turn.
    const sealed = sealWith(keys.send, header, plain);
    this.outbound = this.outbound
      .then(async () => {
        const body = await sealed;
        if (this.ended || this.ws.readyState !== WS_OPEN) return;
        const record = new Uint8Array(RECORD_HEADER_BYTES + body.length);
        record.set(header);
        record.set(body, RECORD_HEADER_BYTES);
        this.ws.send(record);
      })
      .catch(() => this.fail('server.internal'));
  }

  private receive(data: unknown): void {
    if (this.ended) return;
    const bytes = toBytes(data);
    if (!bytes) return this.fail('protocol.malformed_frame');
    if (!this.welcomed) {
      this.welcomed = true;
      const r = decodeFrame(bytes, 4096);
      if (!r.ok || r.frame.body.case !== 'secureWelcome') return this.fail('security.handshake_failed');
      const welcome = r.frame.body.value;
      this.inbound = this.inbound.then(async () => {
        try {
          this.keys = await (await this.handshake).finish(welcome, this.o.pinned);
        } catch (err) {
          return this.fail(err instanceof ServerKeyMismatch ? 'security.server_key_mismatch' : 'security.handshake_failed');
        }
        // The token travels only inside the channel, in the first sealed frame.
        this.pending.unshift(encodeFrame({ rid: 0, body: { case: 'hello', value: { sdk: this.o.sdk, sdkVersion: this.o.sdkVersion, token: this.o.token } } }));
        this.flush();
      });
      return;
    }
    const copy = bytes.slice();
    this.inbound = this.inbound.then(async () => {
      if (this.ended) return;
      const keys = this.keys;
      if (!keys) return this.fail('security.handshake_failed');
      const bad = checkRecordHeader(copy, keys.recv.keyId, this.recvCounter);
      if (bad) return this.fail(bad.code);
      this.recvCounter++;
      let plain: Uint8Array;
      try {
        plain = await openWith(keys.recv, copy.subarray(0, RECORD_HEADER_BYTES), copy.subarray(RECORD_HEADER_BYTES));
      } catch {
        return this.fail('security.bad_tag');
      }
      const frames = unpackFrames(plain);
      if (!frames) return this.fail('protocol.malformed_frame');
      for (const f of frames) if (!this.ended) this.onmessage?.({ data: f });
    });
  }

  /** Ends the session on a security failure: closes the socket with the code and tells the session at once. */
  private fail(code: ErrorCode): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.ws.close(ERRORS[code].close || 4000, code);
    } catch {
      // Already closing.
    }
    this.emitClose(ERRORS[code].close || 4000, code);
  }

  private emitClose(code: number, reason: string): void {
    const cb = this.onclose;
    this.onclose = null;
    this.ended = true;
    cb?.({ code, reason });
  }
}
