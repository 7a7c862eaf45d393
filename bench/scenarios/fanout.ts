// `npm run bench -- fanout`: plain fan-out of the peers, side by side, same
// generator: one publisher, S subscribers, R messages/s open loop. The plain
// `ws` relay is the physical baseline; Socket.IO a framework peer; NATS and
// Mosquitto are broker upper anchors (no persistence, different protocol).
// Tidings' own fan-out (groups, chatrooms) is measured by the group and
// chatroom scenarios, which put these figures beside theirs. Writes
// bench/results/fanout.json.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newMeta, writeResult } from '../lib/results-json.ts';
import { medianTrial } from '../lib/stats.ts';
import type { FanoutTarget } from '../load/fanout-clients.ts';
import { runFanoutTrial, type FanoutTrial } from '../load/fanout-run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Knobs of the scenario; the defaults are the published run. */
export interface FanoutOptions {
  readonly targets: readonly FanoutTarget[];
  readonly subs: number;
  readonly rates: readonly number[];
  readonly trials: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly log?: (line: string) => void;
}

/** 500 subscribers; 50 and 100 messages/s (25,000 and 50,000 deliveries/s); 3 trials. */
export const DEFAULTS: FanoutOptions = { targets: ['ws', 'socketio', 'nats', 'mqtt'], subs: 500, rates: [50, 100], trials: 3, warmupMs: 1000, durationMs: 5000 };

/** What the scenario records: every trial, and the median trial (by p99) per (target, rate). */
export interface FanoutData {
  readonly options: Omit<FanoutOptions, 'log'>;
  readonly trials: readonly FanoutTrial[];
  readonly medians: readonly FanoutTrial[];
}

const describe = (t: FanoutTrial): string =>
  `${t.target} @ ${t.rate}/s x ${t.subs}: delivered ${t.delivered}/${t.expected} (${Math.round(t.deliveredRate)}/s), dup ${t.duplicates}, reordered ${t.reordered}, p50 ${t.latency.p50.toFixed(2)} p99 ${t.latency.p99.toFixed(2)} ms, server ${t.serverCpuMsPer1k.toFixed(2)} CPU-ms/1k, gen CPU ${(t.genCpu * 100).toFixed(0)}%, other ${(t.otherCpu * 100).toFixed(0)}%${t.valid ? '' : ' INVALID: ' + t.invalidReasons.join('; ')}`;

/** Runs every (rate, target) `trials` times. */
export async function runFanout(o: FanoutOptions): Promise<FanoutData> {
  const trials: FanoutTrial[] = [];
  const medians: FanoutTrial[] = [];
  for (const rate of o.rates) {
    for (const target of o.targets) {
      const mine: FanoutTrial[] = [];
      for (let i = 0; i < o.trials; i++) {
        const t = await runFanoutTrial(ROOT, target, o.subs, rate, o.durationMs, o.warmupMs);
        o.log?.(`  ${describe(t)}`);
        mine.push(t);
      }
      trials.push(...mine);
      const valid = mine.filter((t) => t.valid);
      medians.push(medianTrial(valid.length ? valid : mine, (t) => t.latency.p99));
    }
  }
  const { log: _log, ...options } = o;
  return { options, trials, medians };
}

/** `npm run bench -- fanout [--targets a,b] [--subs N] [--rates 50,100] [--trials N] [--no-write]` */
export async function main(argv: readonly string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: [...argv],
    options: { targets: { type: 'string' }, subs: { type: 'string' }, rates: { type: 'string' }, trials: { type: 'string' }, 'no-write': { type: 'boolean' } },
  });
  const o: FanoutOptions = {
    ...DEFAULTS,
    ...(v.targets ? { targets: v.targets.split(',') as FanoutTarget[] } : {}),
    ...(v.subs ? { subs: Number(v.subs) } : {}),
    ...(v.rates ? { rates: v.rates.split(',').map(Number) } : {}),
    ...(v.trials ? { trials: Number(v.trials) } : {}),
    log: (l) => console.log(l),
  };
  const meta = newMeta(ROOT, 'fanout', argv);
  console.log(`${meta.machine}\ncommit ${meta.commit}`);
  const started = Date.now();
  const data = await runFanout(o);
  if (!v['no-write'] && process.env.BENCH_NO_WRITE !== '1') console.log(`wrote ${writeResult(ROOT, meta, started, data)}`);
}
