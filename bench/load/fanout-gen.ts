// Open-loop fan-out generator for the plain peers, run as its own process:
//   node bench/load/fanout-gen.ts --target ws|socketio|nats|mqtt --url U --subs S --rate R ...
// One publisher sends R messages/s (message k at the fixed intended time
// t0 + k/R, which travels in the payload); S subscribers receive each one.
// Latency = receive time minus intended send time. Counts lost, duplicated
// and reordered deliveries per subscriber. Prints one `result` JSON line.
import { parseArgs } from 'node:util';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.ts';
import { sourceAddress } from '../lib/source-addr.ts';
import { openFanout, type FanoutClient, type FanoutTarget } from './fanout-clients.ts';

/** What the generator prints. */
export interface FanoutGenResult {
  readonly type: 'result';
  readonly target: FanoutTarget;
  readonly subs: number;
  readonly rate: number;
  readonly windowMs: number;
  /** Messages published with an intended time in the window, and deliveries of them expected (x subs) and seen. */
  readonly windowSent: number;
  readonly expected: number;
  readonly delivered: number;
  /** Deliveries per second over the window. */
  readonly deliveredRate: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly latency: LatencySummary;
  readonly lag: LatencySummary;
  readonly genCpu: number;
  readonly valid: boolean;
  readonly invalidReasons: readonly string[];
}

const TARGETS: readonly FanoutTarget[] = ['ws', 'socketio', 'nats', 'mqtt'];

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      target: { type: 'string' },
      url: { type: 'string' },
      subs: { type: 'string', default: '100' },
      rate: { type: 'string', default: '100' },
      'warmup-ms': { type: 'string', default: '1000' },
      'duration-ms': { type: 'string', default: '5000' },
      'drain-ms': { type: 'string', default: '2000' },
      bytes: { type: 'string', default: '100' },
      'max-cpu': { type: 'string', default: '0.9' },
      'max-lag-ms': { type: 'string', default: '10' },
    },
  });
  const target = v.target as FanoutTarget;
  if (!TARGETS.includes(target)) throw new Error(`--target must be one of ${TARGETS.join(', ')}`);
  if (!v.url || !/^[a-z]+:\/\/127\.0\.0\.1:\d+/.test(v.url)) throw new Error('--url must point at 127.0.0.1');
  const subs = Number(v.subs);
  const rate = Number(v.rate);
  const warmupMs = Number(v['warmup-ms']);
  const durationMs = Number(v['duration-ms']);
  if (!(subs >= 1 && subs <= 5000 && rate >= 1 && rate <= 100_000 && durationMs <= 60_000)) throw new Error('--subs, --rate or --duration-ms out of range');
  const planned = Math.floor(((warmupMs + durationMs) * rate) / 1000);

  const latency = new LatencyHistogram();
  const lagH = new LatencyHistogram();
  let t0 = Infinity;
  const inWindow = (intended: number): boolean => intended >= t0 + warmupMs && intended < t0 + warmupMs + durationMs;
  let delivered = 0;
  let duplicates = 0;
  let reordered = 0;
  const last = new Int32Array(subs).fill(-1);
  const clients: FanoutClient[] = [];
  for (let i = 0; i < subs; i += 50) {
    clients.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, subs - i) }, (_, j) => {
          const me = i + j;
          return openFanout(target, v.url!, `sub${me}`, sourceAddress(me), (p) => {
            const now = performance.now();
            const intended = p.readDoubleLE(0);
            const k = p.readUInt32LE(8);
            if (k <= last[me]!) return void duplicates++;
            if (k !== last[me]! + 1) reordered++;
            last[me] = k;
            if (inWindow(intended)) {
              delivered++;
              latency.recordMs(now - intended);
            }
          });
        }),
      )),
    );
  }
  const pub = await openFanout(target, v.url, 'pub', sourceAddress(subs), () => {});
  await new Promise((r) => setTimeout(r, 300));

  const payload = Buffer.alloc(Math.max(16, Number(v.bytes)), 0x2e);
  const interval = 1000 / rate;
  let next = 0;
  let windowSent = 0;
  let cpu0 = process.cpuUsage();
  let cpuFrac = 0;
  let started = false;
  let ended = false;
  t0 = performance.now() + 20;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (!started && now >= t0 + warmupMs) {
        started = true;
        cpu0 = process.cpuUsage();
      }
      if (started && !ended && now >= t0 + warmupMs + durationMs) {
        ended = true;
        const u = process.cpuUsage(cpu0);
        cpuFrac = (u.user + u.system) / 1000 / durationMs;
      }
      for (let budget = 1000; next < planned && budget > 0; budget--) {
        const intended = t0 + next * interval;
        if (intended > now) break;
        // Each publish gets its own buffer: client libraries may hold it until the socket takes it.
        const p = Buffer.from(payload);
        p.writeDoubleLE(intended, 0);
        p.writeUInt32LE(next, 8);
        pub.publish(p);
        if (inWindow(intended)) {
          windowSent++;
          lagH.recordMs(now - intended);
        }
        next++;
      }
      if (next >= planned && ended) return resolve();
      if (next < planned && t0 + next * interval <= performance.now()) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    tick();
  });
  const expected = windowSent * subs;
  const drainUntil = performance.now() + Number(v['drain-ms']);
  while (delivered < expected && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  const lag = lagH.summary();
  const reasons: string[] = [];
  if (cpuFrac > Number(v['max-cpu'])) reasons.push(`generator CPU-saturated: ${(cpuFrac * 100).toFixed(0)}% of one core`);
  if (lag.p99 > Number(v['max-lag-ms'])) reasons.push(`generator fell behind schedule: send lag p99 ${lag.p99.toFixed(1)} ms`);
  const result: FanoutGenResult = {
    type: 'result', target, subs, rate, windowMs: durationMs, windowSent, expected, delivered, deliveredRate: delivered / (durationMs / 1000),
    duplicates, reordered, latency: latency.summary(), lag, genCpu: cpuFrac, valid: reasons.length === 0, invalidReasons: reasons,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  for (const c of [...clients, pub]) c.close();
}

main().then(
  () => setTimeout(() => process.exit(0), 200),
  (err: unknown) => {
    process.stderr.write(`fanout-gen: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
