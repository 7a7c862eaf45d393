// Load generator for the chatroom and group benchmarks, in its own process:
// opens `--members` receiving sockets (source addresses rotated over
// 127.0.0.x so ports never run out), puts them in one room or group, then
// one publisher sends `--rate` messages/s, open loop: message k has the fixed
// intended send instant t0 + k/rate, which travels in its content with k.
// Every delivery on every socket is counted and its latency recorded from
// that intended instant (no coordinated omission, no sampling).
//
// Cheap on purpose, and the same for every target: raw `net` sockets read
// through one shared buffer (raw-ws.ts), frames located by offsets, the
// 12-byte content read in place (no protobuf decode, no JSON, no message
// events; room-member.ts), and send frames encoded once per message by a
// publisher in a worker thread (room-pub.ts), so its schedule does not wait
// behind the reads. Targets: tidings-room, tidings-group, ws
// (bench/baselines/ws-room-server.ts), socketio.
//
// Prints `{"type":"window-start"}` and `{"type":"window-end"}` as the window
// opens and closes (the scenario samples server CPU there), then one result
// JSON line. A run whose generator used > 90% of a core in the window or
// fell > 10 ms behind its schedule (p99) is marked invalid.
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { issueUserToken } from '@tidings/server';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.ts';
import { sourceAddress } from '../lib/source-addr.ts';
import type { RawWs } from './raw-ws.ts';
import { clock, openMember, type RoomTarget } from './room-member.ts';
import type { PubData, PubDone } from './room-pub.ts';

/** What the generator prints last. */
export interface RoomGenResult {
  readonly type: 'result';
  readonly target: string;
  readonly members: number;
  readonly rate: number;
  readonly connectMs: number;
  /** Messages whose intended send instant falls in the window. */
  readonly sentInWindow: number;
  /** Their deliveries seen by the end of the drain, and expected (x members). */
  readonly deliveries: number;
  readonly expected: number;
  /**
   * Deliveries received during the window, of any message, per second: the
   * throughput, also of a target that falls behind (whose in-window messages
   * may arrive only after the drain, or never).
   */
  readonly deliveriesPerSec: number;
  /** Every in-window delivery: receive instant minus intended send instant. */
  readonly latency: LatencySummary;
  /** Per in-window message: its first delivery minus its intended send instant. */
  readonly first: LatencySummary;
  /** Per in-window message: its last delivery minus its first (the fan-out's spread as the generator sees it). */
  readonly spread: LatencySummary;
  /** How far actual sends trailed the schedule. */
  readonly lag: LatencySummary;
  /** Generator CPU in the window, fraction of one core. */
  readonly genCpu: number;
  /** Generator CPU per in-window delivery, microseconds. */
  readonly genUsPerDelivery: number;
  readonly errors: number;
  readonly valid: boolean;
  readonly invalidReasons: readonly string[];
}

const { values: a } = parseArgs({
  options: {
    target: { type: 'string' }, // tidings-room | tidings-group | ws | socketio
    url: { type: 'string' }, // one URL, or several comma-separated (cluster nodes): member i connects to the (i mod n)th
    members: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '10000' },
    drain: { type: 'string', default: '3000' },
    app: { type: 'string', default: '' },
    'token-key': { type: 'string', default: '' },
    conv: { type: 'string', default: 'r:bench' },
    concurrency: { type: 'string', default: '250' },
    'max-cpu': { type: 'string', default: '0.9' },
    'max-lag-ms': { type: 'string', default: '10' },
  },
});
const target = a.target as RoomTarget;
if (!['tidings-room', 'tidings-group', 'ws', 'socketio'].includes(target)) throw new Error(`unknown --target ${target}`);
const members = Number(a.members);
const rate = Number(a.rate);
const warmupMs = Number(a.warmup);
const durationMs = Number(a.duration);
const conv = a.conv!;
const urls = a.url!.split(',');
const urlOf = (i: number): string => urls[i % urls.length]!;
const app = { appKey: a.app!, tokenKey: a['token-key']! };
const tidings = target.startsWith('tidings');
const planned = Math.floor(((warmupMs + durationMs) * rate) / 1000);
const interval = 1000 / rate;

const hist = new LatencyHistogram();
// Per message k: first and last delivery.
const firstAt = new Float64Array(planned).fill(Infinity);
const lastAt = new Float64Array(planned);
let t0 = Infinity;
let deliveries = 0;
let received = 0;
let errors = 0;
let running = true;
const inWindow = (intended: number): boolean => intended >= t0 + warmupMs && intended < t0 + warmupMs + durationMs;

/** One delivery whose 12-byte content (f64 intended instant, u32 k, little-endian) is at `buf[p, p+12)`. */
function delivered(buf: Buffer, p: number): void {
  const now = clock();
  const intended = buf.readDoubleLE(p);
  const k = buf.readUInt32LE(p + 8);
  if (k < planned) {
    if (now < firstAt[k]!) firstAt[k] = now;
    if (now > lastAt[k]!) lastAt[k] = now;
  }
  if (inWindow(now)) received++;
  if (!inWindow(intended)) return;
  deliveries++;
  hist.recordMs(now - intended);
}

const token = async (i: number): Promise<string | undefined> => (tidings ? await issueUserToken(app, `u${i}`, 3600) : undefined);
const open = async (i: number): Promise<RawWs> => {
  const t = await token(i);
  return openMember({
    target, url: urlOf(i), conv, device: 'd1', localAddress: sourceAddress(i), ...(t ? { token: t } : {}),
    onDelivery: delivered, onClose: () => void (running && errors++),
  });
};

const started = performance.now();
const sockets: RawWs[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: Number(a.concurrency) }, async () => {
    while (next < members) sockets.push(await open(next++));
  }),
);
const connectMs = performance.now() - started;
// The publisher is one more member (user u<members>, in the group for group runs), in its own thread.
const pubToken = await token(members);
const pubData: PubData = { target, url: urlOf(members), conv, localAddress: sourceAddress(members), rate, planned, warmupMs, durationMs, ...(pubToken ? { token: pubToken } : {}) };
const worker = new Worker(new URL('./room-pub.ts', import.meta.url), { workerData: pubData });
const pubDone = new Promise<PubDone>((resolve, reject) => {
  worker.on('error', reject);
  worker.on('message', (m: { type: string }) => {
    if (m.type === 'ready') {
      t0 = clock() + 300;
      worker.postMessage({ t0 });
    } else if (m.type === 'done') resolve(m as PubDone);
  });
});

// The window: CPU sampled here, and announced so the scenario samples the server's.
let cpuFrac = 0;
await new Promise<void>((resolve, reject) => {
  const waitT0 = setInterval(() => {
    if (t0 === Infinity) return;
    clearInterval(waitT0);
    setTimeout(() => {
      const cpu0 = process.cpuUsage();
      const w0 = clock();
      process.stdout.write('{"type":"window-start"}\n');
      setTimeout(() => {
        const u = process.cpuUsage(cpu0);
        cpuFrac = (u.user + u.system) / 1000 / (clock() - w0);
        process.stdout.write('{"type":"window-end"}\n');
        resolve();
      }, durationMs);
    }, Math.max(0, t0 + warmupMs - clock()));
  }, 5);
  pubDone.catch(reject);
});
const pub = await pubDone;
const sentInWindow = pub.sentInWindow;
const expected = sentInWindow * members;
const drainUntil = performance.now() + Number(a.drain);
while (deliveries < expected && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
running = false;

const firstH = new LatencyHistogram();
const spreadH = new LatencyHistogram();
for (let k = 0; k < planned; k++) {
  const intended = t0 + k * interval;
  if (!inWindow(intended) || firstAt[k] === Infinity) continue;
  firstH.recordMs(firstAt[k]! - intended);
  spreadH.recordMs(lastAt[k]! - firstAt[k]!);
}
const lag = pub.lag;
const reasons: string[] = [];
if (cpuFrac > Number(a['max-cpu'])) reasons.push(`generator CPU-saturated: ${(cpuFrac * 100).toFixed(0)}% of one core`);
if (lag.p99 > Number(a['max-lag-ms'])) reasons.push(`generator fell behind schedule: send lag p99 ${lag.p99.toFixed(1)} ms`);
const result: RoomGenResult = {
  type: 'result',
  target,
  members,
  rate,
  connectMs: Math.round(connectMs),
  sentInWindow,
  deliveries,
  expected,
  deliveriesPerSec: received / (durationMs / 1000),
  latency: hist.summary(),
  first: firstH.summary(),
  spread: spreadH.summary(),
  lag,
  genCpu: cpuFrac,
  genUsPerDelivery: deliveries ? (cpuFrac * durationMs * 1000) / deliveries : 0,
  errors,
  valid: reasons.length === 0,
  invalidReasons: reasons,
};
process.stdout.write(JSON.stringify(result) + '\n');
for (const s of sockets) s.close();
process.exit(0);
