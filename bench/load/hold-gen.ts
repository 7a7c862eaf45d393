// Connection-holding load generator, run as its own process:
//   node bench/load/hold-gen.ts --target T --url U --count N [--runtime runtime.json] [--in-flight K]
// Opens N idle connections from one process (rotating 127.0.0.x source
// addresses), at most K handshakes in flight, prints one `connected` JSON
// line, then holds them until it reads `close` on stdin (or --hold-ms runs
// out), closes them and prints a `closed` line with how many dropped on
// their own meanwhile.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.ts';
import type { Target } from '../lib/server-handle.ts';
import { sourceAddress } from '../lib/source-addr.ts';
import { openHeld, type Held } from './hold-clients.ts';

/** Lines the generator prints. */
export type HoldEvent =
  | { readonly type: 'connected'; readonly count: number; readonly failed: number; readonly firstError?: string; readonly ms: number; readonly connect: LatencySummary; readonly genCpu: number; readonly genRssMiB: number }
  | { readonly type: 'closed'; readonly dropped: number };

const TARGETS: readonly Target[] = ['tidings', 'ws', 'socketio', 'nats', 'mqtt'];
const emit = (e: HoldEvent): void => void process.stdout.write(JSON.stringify(e) + '\n');

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      target: { type: 'string' },
      url: { type: 'string' },
      runtime: { type: 'string', default: '' },
      count: { type: 'string', default: '100' },
      'in-flight': { type: 'string', default: '200' },
      'hold-ms': { type: 'string', default: '600000' },
      'user-prefix': { type: 'string', default: 'u' },
    },
  });
  const target = v.target as Target;
  if (!TARGETS.includes(target)) throw new Error(`--target must be one of ${TARGETS.join(', ')}`);
  if (!v.url || !/^[a-z]+:\/\/127\.0\.0\.1:\d+/.test(v.url)) throw new Error('--url must point at 127.0.0.1 (traffic stays local)');
  const count = Number(v.count);
  const inFlight = Number(v['in-flight']);
  const holdMs = Number(v['hold-ms']);
  if (!(count >= 1 && count <= 19_500)) throw new Error('--count must be in [1, 19500] (one process holds them all; ~20,000 open files)');
  let token: (user: string) => Promise<string | undefined> = async () => undefined;
  if (target === 'tidings') {
    const rt = JSON.parse(readFileSync(v.runtime!, 'utf8')) as { devApp: { appKey: string; tokenKey: string } };
    const { issueUserToken } = await import('@tidings/server');
    token = (user) => issueUserToken(rt.devApp, user, 3600);
  }
  const held: Held[] = [];
  const h = new LatencyHistogram();
  let failed = 0;
  let dropped = 0;
  let firstError: string | undefined;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const user = `${v['user-prefix']}${i}`;
      const tok = await token(user);
      const start = performance.now();
      try {
        held.push(await openHeld(target, { url: v.url!, user, localAddress: sourceAddress(i), ...(tok ? { token: tok } : {}), timeoutMs: 30_000, onDrop: () => dropped++ }));
        h.recordMs(performance.now() - start);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  const ms = performance.now() - t0;
  const u = process.cpuUsage(cpu0);
  emit({
    type: 'connected', count: held.length, failed, ...(firstError ? { firstError } : {}), ms, connect: h.summary(),
    genCpu: (u.user + u.system) / 1000 / ms, genRssMiB: process.memoryUsage().rss / 1024 ** 2,
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, holdMs);
    createInterface({ input: process.stdin }).on('line', (l) => {
      if (l.trim() === 'close') {
        clearTimeout(timer);
        resolve();
      }
    });
    process.stdin.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const before = dropped;
  for (const c of held) c.close();
  emit({ type: 'closed', dropped: before });
}

main().then(
  () => setTimeout(() => process.exit(0), 200),
  (err: unknown) => {
    process.stderr.write(`hold-gen: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
