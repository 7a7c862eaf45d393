// A minimal WebSocket client for load generators that hold thousands of
// sockets in one process: a plain `net` socket read through `onread` into
// one shared buffer (no stream machinery, no per-read allocation), an
// HTTP/1.1 upgrade written by hand, and a frame reader that hands each
// complete frame to a callback as offsets into that buffer (no copy, no
// message event). Client frames are masked with a zero key (RFC 6455 allows
// any key; the server XORs with it), so a frame is encoded once and written
// as is. Server pings are answered; close frames and socket ends are
// reported. Used identically for every target of the fan-out benchmarks.
import { connect, type Socket } from 'node:net';

/** WebSocket opcodes the reader reports. */
export const OP = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Called with each complete frame: its opcode and payload `buf[start, end)` (valid only during the call), and the socket. */
export type OnFrame = (opcode: number, buf: Buffer, start: number, end: number, ws: RawWs) => void;

/** Where and how to open one raw WebSocket. */
export interface RawWsSpec {
  /** `ws://host:port/path?query`. */
  readonly url: string;
  readonly localAddress?: string;
  /** Offered subprotocols (`Sec-WebSocket-Protocol`), none when empty. */
  readonly protocols?: readonly string[];
  readonly onFrame: OnFrame;
  /** The socket closed (or failed) after the upgrade. */
  readonly onClose: () => void;
}

/** One open raw WebSocket. */
export interface RawWs {
  /** Writes bytes that are already one or more complete masked frames. */
  write(frames: Uint8Array): void;
  close(): void;
}

/** The complete masked (zero key) client frame carrying `payload` with `opcode`. */
export function clientFrame(payload: Uint8Array, opcode: number = OP.binary): Buffer {
  const n = payload.byteLength;
  const len = n < 126 ? 0 : n < 65_536 ? 2 : 8;
  const b = Buffer.alloc(2 + len + 4 + n);
  b[0] = 0x80 | opcode;
  if (len === 0) b[1] = 0x80 | n;
  else if (len === 2) {
    b[1] = 0x80 | 126;
    b.writeUInt16BE(n, 2);
  } else {
    b[1] = 0x80 | 127;
    b.writeBigUInt64BE(BigInt(n), 2);
  }
  // Bytes 2+len .. 5+len stay zero: the mask key.
  b.set(payload, 6 + len);
  return b;
}

// Every socket reads into this one buffer; each read is fully handled (or its tail copied) before the next.
const shared = Buffer.allocUnsafe(256 * 1024);
const KEY = Buffer.from('tidings-bench-16').toString('base64'); // any 16 bytes
const HEADER_END = Buffer.from('\r\n\r\n');

/** Opens a raw WebSocket; resolves once the server has answered 101 (frames after it go to `onFrame`). */
export function openRawWs(spec: RawWsSpec): Promise<RawWs> {
  const u = new URL(spec.url);
  let upgraded = false;
  let closed = false;
  let rest: Buffer | null = null; // the tail of a read that did not end on a frame boundary
  let settle: { resolve: (ws: RawWs) => void; reject: (e: Error) => void } | undefined;
  let sock: Socket;

  const frames = (buf: Buffer, from: number, to: number): void => {
    let p = from;
    while (to - p >= 2) {
      const b0 = buf[p]!;
      let n = buf[p + 1]! & 0x7f;
      let h = 2;
      if (n === 126) {
        if (to - p < 4) break;
        n = buf.readUInt16BE(p + 2);
        h = 4;
      } else if (n === 127) {
        if (to - p < 10) break;
        n = Number(buf.readBigUInt64BE(p + 2));
        h = 10;
      }
      if (to - p < h + n) break;
      const op = b0 & 0x0f;
      const start = p + h;
      p = start + n;
      if (op === OP.ping) sock.write(clientFrame(buf.subarray(start, p), OP.pong));
      else if (op === OP.close) sock.end();
      else spec.onFrame(op, buf, start, p, handle);
    }
    rest = p < to ? Buffer.from(buf.subarray(p, to)) : null;
  };

  const onRead = (nread: number, buf: Buffer): void => {
    let data = buf;
    let end = nread;
    if (rest) {
      data = Buffer.concat([rest, buf.subarray(0, nread)]);
      end = data.length;
      rest = null;
    }
    if (upgraded) return frames(data, 0, end);
    const at = data.subarray(0, end).indexOf(HEADER_END);
    if (at < 0) {
      rest = Buffer.from(data.subarray(0, end));
      return;
    }
    const head = data.toString('latin1', 0, at);
    if (!/^HTTP\/1\.1 101/.test(head)) {
      settle?.reject(new Error(`upgrade refused: ${head.split('\r\n', 1)[0]}`));
      settle = undefined;
      sock.destroy();
      return;
    }
    upgraded = true;
    settle?.resolve(handle);
    settle = undefined;
    frames(data, at + 4, end);
  };

  const handle: RawWs = {
    write: (b) => void (closed || sock.write(b)),
    close: () => sock.destroy(),
  };

  return new Promise<RawWs>((resolve, reject) => {
    settle = { resolve, reject };
    sock = connect({
      host: u.hostname,
      port: Number(u.port),
      ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
      noDelay: true,
      onread: { buffer: shared, callback: (n: number, b: Uint8Array) => (onRead(n, b as Buffer), true) },
    });
    sock.on('connect', () => {
      const proto = spec.protocols?.length ? `Sec-WebSocket-Protocol: ${spec.protocols.join(', ')}\r\n` : '';
      sock.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${proto}\r\n`,
      );
    });
    sock.on('error', (err) => {
      settle?.reject(err);
      settle = undefined;
    });
    sock.on('close', () => {
      closed = true;
      if (settle) settle.reject(new Error('closed before the upgrade'));
      else spec.onClose();
      settle = undefined;
    });
  });
}
