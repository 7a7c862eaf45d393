// Plain `ws` room broadcast, the chatroom baseline: every socket is in the
// one room; a binary message from a socket becomes the same Push frame
// Tidings sends (encoded and WebSocket-framed once per message) and the same
// buffer is written to every other socket, writes coalesced as the Tidings
// gateway coalesces them (packages/server/src/gateway/turn-writes.ts): one
// socket write per socket per flush, and a flush of 512 sockets or more that
// has run 2 ms yields to the event loop and goes on where it stopped, so
// messages arriving meanwhile join the writes of sockets not yet reached.
// No seq bookkeeping, window, dedupe, acks or auth. Prints `{"port":N}`.
//
// Usage: node bench/baselines/ws-room-server.ts --port 0
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame } from '@tidings/protocol';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
const members = new Set<WebSocket>();
/** ws's frame builder (exported at runtime, untyped): the exact bytes ws.send would write. */
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, o: object): Buffer[] } }).Sender;
/** Frames a socket holds this turn (its array is reused from turn to turn). */
const PENDING = Symbol('pending');
type Raw = Socket & { [PENDING]?: Buffer[] };
/** Sockets with frames to write, in the order they got their first; `head`: the next to write. */
let due: Array<Raw | undefined> = [];
let head = 0;
let scheduled = false;

function flush(): void {
  const start = performance.now();
  while (head < due.length) {
    const end = Math.min(due.length, head + 512);
    for (; head < end; head++) {
      const raw = due[head]!;
      due[head] = undefined;
      const bufs = raw[PENDING]!;
      if (bufs.length === 1) raw.write(bufs[0]!);
      else {
        raw.cork();
        for (const b of bufs) raw.write(b);
        raw.uncork();
      }
      bufs.length = 0;
    }
    if (head < due.length && performance.now() - start >= 2) {
      setImmediate(flush);
      return;
    }
  }
  due = [];
  head = 0;
  scheduled = false;
}

function write(ws: WebSocket, framed: Buffer): void {
  const raw = (ws as unknown as { _socket: Raw })._socket;
  const q = (raw[PENDING] ??= []);
  if (q.length === 0) {
    due.push(raw);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flush);
    }
  }
  q.push(framed);
}

let seq = 0;

wss.on('connection', (ws) => {
  members.add(ws);
  ws.on('close', () => members.delete(ws));
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => {
    seq++;
    const frame = encodeFrame({
      rid: 0,
      body: {
        case: 'push',
        value: { message: { convId: 'r:bench', seq: BigInt(seq), msgId: `m${seq}`, senderId: 'pub', senderDevice: 'd', clientMsgId: `c${seq}`, type: 'text', content: new Uint8Array(data), ts: BigInt(Date.now()), flags: 0 } },
      },
    });
    // Header and payload in one buffer, the same for every socket (what the Tidings gateway writes).
    const framed = Buffer.concat(Sender.frame(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { fin: true, opcode: 2, mask: false, readOnly: true, rsv1: false }));
    for (const m of members) if (m !== ws && m.readyState === m.OPEN) write(m, framed);
  });
});

http.listen(Number(values.port), values.host, () => process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n'));
const stop = (): void => {
  for (const m of members) m.terminate();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
