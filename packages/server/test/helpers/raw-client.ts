import { WebSocket } from 'ws';
import {
  decodeFrame,
  encodeFrame,
  SECURE_SUBPROTOCOL,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type Frame,
  type FrameInit,
} from '@tidings/protocol';
import { startClientHandshake, type SecureChannel } from '@tidings/server';

/** A bare protocol client for tests that need to send exactly the bytes they choose. */
export interface RawClient {
  readonly ws: WebSocket;
  /** Frames received (opened, on a secure session). */
  readonly frames: Frame[];
  /** The secure session's record layer; undefined on a plaintext connection. */
  readonly channel: SecureChannel | undefined;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Sends one frame (sealed on a secure session). */
  send(init: FrameInit): void;
  /** Sends bytes as they are (never sealed). */
  sendBytes(bytes: Uint8Array | string): void;
  /** Resolves with the first received frame matching `pred` (already received ones count). */
  next(pred: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  close(): void;
}

/** Options of {@link rawConnect}. */
export interface RawOptions {
  /** Secure session (default true): the token goes in the sealed hello. False: plaintext, token in the upgrade. */
  readonly secure?: boolean;
  /** Secure only: also present the token at the upgrade. */
  readonly tokenAtUpgrade?: boolean;
  /** Secure only: the pinned server key (raw). */
  readonly serverKey?: Uint8Array;
}

/**
 * Opens a raw connection; resolves when the socket is open and, on a secure
 * session, the handshake is done and the token sent (or when it closed).
 */
export function rawConnect(wsUrl: string, token: string, device = 'd1', opts: RawOptions = {}): Promise<RawClient> {
  const secure = opts.secure ?? true;
  const protocols = secure
    ? [SECURE_SUBPROTOCOL, ...(opts.tokenAtUpgrade ? [TOKEN_SUBPROTOCOL_PREFIX + token] : [])]
    : [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token];
  const ws = new WebSocket(`${wsUrl}?device=${encodeURIComponent(device)}`, protocols);
  const frames: Frame[] = [];
  const waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  const handshake = secure ? startClientHandshake() : undefined;
  let channel: SecureChannel | undefined;
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const deliver = (bytes: Uint8Array): void => {
    const r = decodeFrame(bytes, 1 << 24);
    if (!r.ok) throw new Error(`server sent an undecodable frame: ${r.code}`);
    frames.push(r.frame);
    for (const w of [...waiters]) {
      if (w.pred(r.frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r.frame);
      }
    }
  };
  ws.on('message', (data: Buffer) => {
    if (!handshake) return deliver(data);
    if (!channel) {
      const r = decodeFrame(data);
      if (!r.ok || r.frame.body.case !== 'secureWelcome') throw new Error('expected secure_welcome');
      const done = handshake.finish(r.frame.body.value, opts.serverKey);
      if (!done.ok) throw new Error(done.message);
      channel = done.channel;
      ws.send(channel.seal([encodeFrame({ rid: 0, body: { case: 'hello', value: { sdk: 'raw-test', token: opts.tokenAtUpgrade ? '' : token } } })]));
      return ready();
    }
    const opened = channel.open(data);
    if (!opened.ok) throw new Error(`server sent a bad record: ${opened.code}`);
    for (const f of opened.frames) deliver(f);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  const client: RawClient = {
    ws,
    frames,
    get channel() {
      return channel;
    },
    closed,
    send: (init) => ws.send(channel ? channel.seal([encodeFrame(init)]) : encodeFrame(init)),
    sendBytes: (bytes) => ws.send(bytes),
    next(pred, ms = 5000) {
      const found = frames.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no matching frame in time')), ms);
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)) });
      });
    },
    close: () => ws.close(),
  };
  return new Promise((resolve) => {
    ws.once('open', () => {
      if (!handshake) return resolve(client);
      ws.send(encodeFrame({ rid: 0, body: { case: 'secureHello', value: handshake.hello } }));
      void readyP.then(() => resolve(client));
    });
    ws.once('close', () => resolve(client));
  });
}
