// `npm run bench -- idle`: idle capacity. N authenticated idle connections
// held by one generator process against one server process; memory per
// connection after a full GC, and idle CPU. Tidings side by side with a plain
// `ws` server holding the same number of bare sockets, Socket.IO, and two
// brokers (NATS, Mosquitto: no persistence, different protocol). Writes
// bench/results/idle.json; `npm run bench -- report` renders it.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newMeta, writeResult } from '../lib/results-json.ts';
import type { Target } from '../lib/server-handle.ts';
import { median } from '../lib/stats.ts';
import { runIdleTrial, type IdleTrial } from '../load/idle-run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Knobs of the scenario; the defaults are the published run. */
export interface IdleOptions {
  readonly targets: readonly Target[];
  readonly counts: readonly number[];
  /** Trials of Tidings per count (the median is reported). */
  readonly trials: number;
  /** Trials of each peer per count. */
  readonly peerTrials: number;
  readonly settleMs: number;
  readonly idleMs: number;
  readonly inFlight: number;
  /** Groups each Tidings user is a member of (created through the server API before the baseline memory is taken). */
  readonly groups: number;
  readonly log?: (line: string) => void;
}

/** The published configuration. */
export const DEFAULTS: IdleOptions = {
  targets: ['tidings', 'ws', 'socketio', 'nats', 'mqtt'],
  counts: [10_000, 19_000],
  trials: 3,
  peerTrials: 1,
  settleMs: 1_500,
  idleMs: 8_000,
  inFlight: 200,
  groups: 5,
};

/** The scenario's results: every trial, and per (target, count) the medians. */
export interface IdleData {
  readonly options: Omit<IdleOptions, 'log'>;
  readonly trials: readonly IdleTrial[];
  readonly medians: readonly IdleMedian[];
}

/** Medians over the trials of one (target, count). */
export interface IdleMedian {
  readonly target: Target;
  readonly count: number;
  readonly rssPerConnKB: number;
  readonly heapPerConnKB?: number;
  readonly idleCpu: number;
  readonly rssMiB: number;
  readonly connectP99: number;
  readonly ok: boolean;
}

function describe(t: IdleTrial): string {
  return `${t.target} x${t.count}${t.groups ? ` (${t.groups} groups each, set up in ${t.groupSetupMs} ms)` : ''}: connected ${t.connected} (failed ${t.failed}${t.firstError ? `: ${t.firstError}` : ''}, dropped ${t.dropped}) in ${t.connectAllMs} ms; RSS ${t.rssBaseMiB.toFixed(0)} -> ${t.rssMiB.toFixed(0)} MiB = ${t.rssPerConnKB.toFixed(1)} KB/conn; heap ${t.heapPerConnKB?.toFixed(1) ?? '-'} KB/conn; idle CPU ${(t.idleCpu * 100).toFixed(1)}%; gen CPU ${(t.genConnectCpu * 100).toFixed(0)}%/${(t.genIdleCpu * 100).toFixed(0)}%, other ${(t.otherCpu * 100).toFixed(0)}%`;
}

/** Runs every (target, count) `trials` times. */
export async function runIdle(o: IdleOptions): Promise<IdleData> {
  const trials: IdleTrial[] = [];
  const medians: IdleMedian[] = [];
  for (const count of o.counts) {
    for (const target of o.targets) {
      const mine: IdleTrial[] = [];
      for (let i = 0; i < (target === 'tidings' ? o.trials : o.peerTrials); i++) {
        const t = await runIdleTrial({ root: ROOT, target, count, settleMs: o.settleMs, idleMs: o.idleMs, inFlight: o.inFlight, groups: o.groups });
        o.log?.(`  ${describe(t)}`);
        mine.push(t);
      }
      trials.push(...mine);
      const heaps = mine.flatMap((t) => (t.heapPerConnKB === undefined ? [] : [t.heapPerConnKB]));
      medians.push({
        target,
        count,
        rssPerConnKB: median(mine.map((t) => t.rssPerConnKB)),
        ...(heaps.length ? { heapPerConnKB: median(heaps) } : {}),
        idleCpu: median(mine.map((t) => t.idleCpu)),
        rssMiB: median(mine.map((t) => t.rssMiB)),
        connectP99: median(mine.map((t) => t.connect.p99)),
        ok: mine.every((t) => t.connected === count && t.dropped === 0),
      });
    }
  }
  const { log: _log, ...options } = o;
  return { options, trials, medians };
}

/** `npm run bench -- idle [--targets a,b] [--counts 10000,19000] [--trials N] [--peer-trials N] [--idle-ms MS] [--groups N] [--no-write]` */
export async function main(argv: readonly string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      targets: { type: 'string' },
      counts: { type: 'string' },
      trials: { type: 'string' },
      'peer-trials': { type: 'string' },
      'idle-ms': { type: 'string' },
      groups: { type: 'string' },
      'no-write': { type: 'boolean' },
    },
  });
  const o: IdleOptions = {
    ...DEFAULTS,
    ...(v.targets ? { targets: v.targets.split(',') as Target[] } : {}),
    ...(v.counts ? { counts: v.counts.split(',').map(Number) } : {}),
    ...(v.trials ? { trials: Number(v.trials) } : {}),
    ...(v['peer-trials'] ? { peerTrials: Number(v['peer-trials']) } : {}),
    ...(v['idle-ms'] ? { idleMs: Number(v['idle-ms']) } : {}),
    ...(v.groups ? { groups: Number(v.groups) } : {}),
    log: (l) => console.log(l),
  };
  const meta = newMeta(ROOT, 'idle', argv);
  console.log(`${meta.machine}\ncommit ${meta.commit}`);
  const started = Date.now();
  const data = await runIdle(o);
  if (!v['no-write'] && process.env.BENCH_NO_WRITE !== '1') console.log(`wrote ${writeResult(ROOT, meta, started, data)}`);
}
