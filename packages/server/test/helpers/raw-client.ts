import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type Frame, type FrameInit } from '@tidings/protocol';

/** A bare protocol client for tests that need to send exactly the bytes they choose. */
export interface RawClient {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(init: FrameInit): void;
  sendBytes(bytes: Uint8Array | string): void;
  /** Resolves with the first received frame matching `pred` (already received ones count). */
  next(pred: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  close(): void;
}

/** Opens a raw connection; resolves when the socket is open (or closed straight away). */
export function rawConnect(wsUrl: string, token: string, device = 'd1'): Promise<RawClient> {
  const ws = new WebSocket(`${wsUrl}?device=${encodeURIComponent(device)}`, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]);
  const frames: Frame[] = [];
  const waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  ws.on('message', (data: Buffer) => {
    const r = decodeFrame(data, 1 << 24);
    if (!r.ok) throw new Error(`server sent an undecodable frame: ${r.code}`);
    frames.push(r.frame);
    for (const w of [...waiters]) {
      if (w.pred(r.frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r.frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  const client: RawClient = {
    ws,
    frames,
    closed,
    send: (init) => ws.send(encodeFrame(init)),
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
    ws.once('open', () => resolve(client));
    ws.once('close', () => resolve(client));
  });
}
