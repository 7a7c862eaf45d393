// `npm run bench -- storm`: reconnect-and-sync storm. The server starts on a
// database already holding every client's missed messages (written through
// the storage port's commitSends, see load/storm-prep.ts); then all clients
// reconnect at once, sync from cursor 0 and pull, and the generator checks
// each got exactly its messages, in order. Median of N trials on the same
// prepared data (a fresh server process each), plus a plain `ws` server taking
// the same connection storm (connect only: the physical baseline). Writes
// bench/results/storm.json. `--profile` instead runs one Tidings trial under
// `--cpu-prof` and prints where the server's CPU time went (nothing written).
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { topSelfTime } from '../lib/cpu-profile.ts';
import { newMeta, writeResult } from '../lib/results-json.ts';
import { median } from '../lib/stats.ts';
import { prepareStorm, type StormShape } from '../load/storm-prep.ts';
import { runStormTrial, type StormTrial } from '../load/storm-run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Knobs of the scenario; the defaults are the published run. */
export interface StormOptions extends StormShape {
  readonly trials: number;
  /** Also storm a plain ws server with the same number of clients (connect only). */
  readonly baseline: boolean;
  readonly log?: (line: string) => void;
}

/** 10,000 clients, each missing 100 messages (4 conversations x 25), 3 trials. */
export const DEFAULTS: StormOptions = { clients: 10_000, convs: 4, perConv: 25, contentBytes: 64, trials: 3, baseline: true };

/** What the scenario records. */
export interface StormData {
  readonly options: Omit<StormOptions, 'log'>;
  readonly prepare: { readonly messages: number; readonly ms: number; readonly method: string };
  readonly trials: readonly StormTrial[];
  readonly baseline?: StormTrial;
  /** Medians over the VALID Tidings trials (absent when none was valid). */
  readonly median?: { readonly allSyncedMs: number; readonly connectP99: number; readonly peakRssMiB: number; readonly serverCpuMs: number };
}

function describe(t: StormTrial): string {
  return `${t.target}: synced ${t.synced}/${t.clients} in ${Number.isFinite(t.allSyncedMs) ? (t.allSyncedMs / 1000).toFixed(2) + ' s' : 'n/a'}; connect p50 ${t.connect.p50.toFixed(0)} p99 ${t.connect.p99.toFixed(0)} max ${t.connect.max.toFixed(0)} ms; received ${t.received}/${t.expected}, lost ${t.lost}, dup ${t.duplicates}, ooo ${t.outOfOrder}, bad ${t.wrongContent}; reconnects ${t.reconnects}, errors ${t.errors}${t.firstError ? ` (${t.firstError})` : ''}; peak RSS ${t.peakRssMiB.toFixed(0)} MiB, server CPU ${(t.serverCpuMs / 1000).toFixed(1)} s, gen CPU ${(t.genCpu * 100).toFixed(0)}%, other ${(t.otherCpu * 100).toFixed(0)}%${t.valid ? '' : ' INVALID: ' + t.invalidReasons.join('; ')}`;
}

/** Prepares the backlog once, runs the trials and the baseline, removes the data. */
export async function runStorm(o: StormOptions): Promise<StormData> {
  const prepared = await prepareStorm(ROOT, o);
  o.log?.(`  prepared ${prepared.messages} messages in ${(prepared.prepMs / 1000).toFixed(1)} s (${Math.round(prepared.messages / (prepared.prepMs / 1000))}/s)`);
  try {
    const trials: StormTrial[] = [];
    for (let i = 0; i < o.trials; i++) {
      const t = await runStormTrial(ROOT, 'tidings', o, prepared);
      o.log?.(`  trial ${i + 1}: ${describe(t)}`);
      trials.push(t);
    }
    let baseline: StormTrial | undefined;
    if (o.baseline) {
      baseline = await runStormTrial(ROOT, 'ws', o, undefined);
      o.log?.(`  baseline ${describe(baseline)}`);
    }
    const valid = trials.filter((t) => t.valid);
    const { log: _log, ...options } = o;
    return {
      options,
      prepare: { messages: prepared.messages, ms: Math.round(prepared.prepMs), method: 'storage port commitSends (SQLite adapter), batches of 2,000, into the data directory before the server starts' },
      trials,
      ...(baseline ? { baseline } : {}),
      ...(valid.length
        ? {
            median: {
              allSyncedMs: median(valid.map((t) => t.allSyncedMs)),
              connectP99: median(valid.map((t) => t.connect.p99)),
              peakRssMiB: median(valid.map((t) => t.peakRssMiB)),
              serverCpuMs: median(valid.map((t) => t.serverCpuMs)),
            },
          }
        : {}),
    };
  } finally {
    rmSync(prepared.dataDir, { recursive: true, force: true });
  }
}

/** Prepares the backlog, runs one Tidings trial under `--cpu-prof`, returns the trial and the top self-time functions. */
export async function profileStorm(o: StormOptions, top = 40): Promise<string> {
  const prepared = await prepareStorm(ROOT, o);
  const dir = mkdtempSync(join(tmpdir(), 'tidings-prof-'));
  try {
    const t = await runStormTrial(ROOT, 'tidings', o, prepared, ['--cpu-prof', '--cpu-prof-dir', dir]);
    // One profile per thread (the content opener's worker writes its own): the main thread's is the largest.
    const file = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((x, y) => statSync(join(dir, y)).size - statSync(join(dir, x)).size)[0];
    if (!file) throw new Error('the server wrote no .cpuprofile');
    const kept = join(tmpdir(), `tidings-storm-${Date.now()}.cpuprofile`);
    copyFileSync(join(dir, file), kept);
    const rows = topSelfTime(kept, top).map((r) => `${r.ms.toFixed(0).padStart(7)} ms ${r.percent.toFixed(1).padStart(5)}%  ${r.fn}`);
    return [`profiled ${describe(t)}`, `server self time under --cpu-prof (whole process life, start-up included; profile kept in ${kept}):`, ...rows].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(prepared.dataDir, { recursive: true, force: true });
  }
}

/** `npm run bench -- storm [--clients N] [--convs C] [--per-conv M] [--trials N] [--no-baseline] [--no-write] [--profile]` */
export async function main(argv: readonly string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      clients: { type: 'string' },
      convs: { type: 'string' },
      'per-conv': { type: 'string' },
      trials: { type: 'string' },
      'no-baseline': { type: 'boolean' },
      'no-write': { type: 'boolean' },
      profile: { type: 'boolean' },
    },
  });
  const o: StormOptions = {
    ...DEFAULTS,
    ...(v.clients ? { clients: Number(v.clients) } : {}),
    ...(v.convs ? { convs: Number(v.convs) } : {}),
    ...(v['per-conv'] ? { perConv: Number(v['per-conv']) } : {}),
    ...(v.trials ? { trials: Number(v.trials) } : {}),
    baseline: !v['no-baseline'],
    log: (l) => console.log(l),
  };
  if (v.profile) return void console.log(await profileStorm(o));
  const meta = newMeta(ROOT, 'storm', argv);
  console.log(`${meta.machine}\ncommit ${meta.commit}`);
  const started = Date.now();
  const data = await runStorm(o);
  if (!v['no-write'] && process.env.BENCH_NO_WRITE !== '1') console.log(`wrote ${writeResult(ROOT, meta, started, data)}`);
}
