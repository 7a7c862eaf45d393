// Load generator for the chatroom and group benchmarks, in its own process:
// opens `--members` receiving sockets (source addresses rotated over
// 127.0.0.x so ports never run out), puts them in one room or group, then
// one publisher sends `--rate` messages/s whose content is the send instant.
// Every socket counts deliveries; `--sample` of them decode each frame and
// record the delivery latency. Prints one JSON line with the result.
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { io, type Socket as IoSocket } from 'socket.io-client';
import { decodeFrame, encodeFrame } from '@tidings/protocol';
import { issueUserToken } from '@tidings/server';
import { LatencyHistogram } from '../lib/histogram.ts';
import { sourceAddress } from '../lib/source-addr.ts';

const { values: a } = parseArgs({
  options: {
    target: { type: 'string' }, // tidings-room | tidings-group | ws | socketio
    url: { type: 'string' },
    members: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '10000' },
    drain: { type: 'string', default: '2000' },
    sample: { type: 'string', default: '500' },
    app: { type: 'string', default: '' },
    'token-key': { type: 'string', default: '' },
    conv: { type: 'string', default: 'r:bench' },
    concurrency: { type: 'string', default: '250' },
  },
});
const target = a.target!;
const members = Number(a.members);
const rate = Number(a.rate);
const warmupMs = Number(a.warmup);
const durationMs = Number(a.duration);
const sampleEvery = Math.max(1, Math.floor(members / Math.max(1, Number(a.sample))));
const conv = a.conv!;
const app = { appKey: a.app!, tokenKey: a['token-key']! };
const now = (): number => performance.timeOrigin + performance.now();
const hist = new LatencyHistogram();
let windowStart = Infinity;
let windowEnd = Infinity;
let deliveries = 0;
let errors = 0;

function receive(bytes: Uint8Array, sampled: boolean): void {
  const t = now();
  if (t >= windowStart && t < windowEnd) deliveries++;
  if (!sampled) return;
  const r = decodeFrame(bytes, 1 << 20);
  if (!r.ok || r.frame.body.case !== 'push') return;
  const c = r.frame.body.value.message?.content;
  if (!c || c.byteLength !== 8) return;
  const sent = new DataView(c.buffer, c.byteOffset, 8).getFloat64(0);
  if (sent >= windowStart && sent < windowEnd) hist.recordMs(t - sent);
}

function receiveIo(data: ArrayBuffer | Uint8Array, sampled: boolean): void {
  const t = now();
  if (t >= windowStart && t < windowEnd) deliveries++;
  if (!sampled || data.byteLength !== 8) return;
  const view = data instanceof ArrayBuffer ? new DataView(data) : new DataView(data.buffer, data.byteOffset, 8);
  const sent = view.getFloat64(0);
  if (sent >= windowStart && sent < windowEnd) hist.recordMs(t - sent);
}

/** Opens one member; resolves once it is in the room (or group) and receiving. */
async function openMember(i: number): Promise<(payload: Uint8Array, n: number) => void> {
  const sampled = i % sampleEvery === 0;
  const localAddress = sourceAddress(i);
  if (target === 'socketio') {
    const s: IoSocket = io(a.url!, { transports: ['websocket'], localAddress, reconnection: false, forceNew: true } as Parameters<typeof io>[1]);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    s.on('m', (d: ArrayBuffer | Uint8Array) => receiveIo(d, sampled));
    s.on('disconnect', () => errors++);
    return (payload) => void s.emit('pub', Buffer.from(payload));
  }
  const user = `u${i}`;
  const tidings = target.startsWith('tidings');
  const protocols = tidings ? ['tidings.v1', 'tidings.token.' + (await issueUserToken(app, user, 3600))] : [];
  const ws = new WebSocket(`${a.url}?device=${i === members ? 'pub' : 'd1'}`, protocols, { perMessageDeflate: false, localAddress });
  ws.on('error', () => errors++);
  await new Promise<void>((resolve, reject) => {
    ws.once('close', (code) => reject(new Error(`closed ${code}`)));
    if (!tidings) return ws.once('open', () => resolve());
    ws.once('message', () => {
      // The welcome; a room needs a join, a group is joined by membership.
      if (target === 'tidings-group') return resolve();
      ws.send(encodeFrame({ rid: 1, body: { case: 'conv', value: { convId: conv, op: 'join', args: '', afterSeq: 0n } } }));
      ws.once('message', (d: Buffer) => {
        const r = decodeFrame(d, 1 << 24);
        if (r.ok && r.frame.body.case === 'convResult') resolve();
        else reject(new Error(`join failed: ${r.ok ? JSON.stringify(r.frame.body.value) : r.code}`));
      });
    });
  });
  ws.removeAllListeners('close');
  ws.on('close', () => errors++);
  ws.on('message', (d: Buffer) => receive(d, sampled));
  if (!tidings) return (payload) => ws.send(payload);
  return (payload, n) =>
    ws.send(encodeFrame({ rid: n + 1, body: { case: 'send', value: { convId: conv, clientMsgId: `b${n}`, senderSeq: BigInt(n), type: 'text', content: payload, flags: 0, priority: 2 } } }));
}

const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Number(a.concurrency) }, async () => {
    while (next < members) await openMember(next++);
  }),
);
const connectMs = performance.now() - started;
// The publisher is one more member (user u<members>, in the group for group runs).
const publish = await openMember(members);
const cpu0 = process.cpuUsage();
const t0 = now();
windowStart = t0 + warmupMs;
windowEnd = windowStart + durationMs;
let sent = 0;
let sentInWindow = 0;
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const t = now();
    if (t >= windowEnd) {
      clearInterval(tick);
      return resolve();
    }
    const due = Math.floor(((t - t0) * rate) / 1000);
    while (sent < due) {
      const payload = new Uint8Array(8);
      const at = now();
      new DataView(payload.buffer).setFloat64(0, at);
      if (at >= windowStart) sentInWindow++;
      publish(payload, ++sent);
    }
  }, 5);
});
await new Promise((r) => setTimeout(r, Number(a.drain)));
const cpu = process.cpuUsage(cpu0);
const seconds = durationMs / 1000;
process.stdout.write(
  JSON.stringify({
    target,
    members,
    rate,
    connectMs: Math.round(connectMs),
    sentInWindow,
    deliveries,
    expected: sentInWindow * members,
    deliveriesPerSec: deliveries / seconds,
    latency: hist.summary(),
    genCpu: (cpu.user + cpu.system) / 1000 / (now() - t0),
    errors,
  }) + '\n',
);
process.exit(0);
