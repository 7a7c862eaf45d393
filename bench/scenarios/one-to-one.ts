// `npm run bench -- one-to-one`: durable 1:1 messaging, Tidings against a
// plain `ws` relay, side by side in one run. (a) a fixed-rate test, (b) a
// max-throughput search. Writes the `## one-to-one` section of bench/RESULTS.md.
// `--profile` instead runs Tidings once under `--cpu-prof` and prints where
// its CPU time goes.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { topSelfTime } from '../lib/cpu-profile.ts';
import { describeMachine, gitCommit } from '../lib/machine.ts';
import { markdownTable, updateSection, runHeader } from '../lib/results-md.ts';
import { renderOneToOne, searchTrials, type OneToOneRun, type SearchOutcome } from '../load/one-to-one-report.ts';
import { MAX_OTHER_CPU, runStep, type StepOptions, type StepResult } from '../load/run-step.ts';

/** Repository root. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Knobs of one scenario run; the defaults are the published run. */
export interface OneToOneOptions {
  readonly pairs: number;
  readonly fixedRate: number;
  readonly fixedMs: number;
  readonly searchRates: readonly number[];
  readonly stepMs: number;
  readonly warmupMs: number;
  readonly drainMs: number;
  /** Progress output; silent when omitted. */
  readonly log?: (line: string) => void;
}

/** The published configuration: 50 pairs (100 sockets), 10k/s for 10 s, then 10k..120k/s steps of 4 s (stopping at the first step unsustained in two trials). */
export const DEFAULTS: OneToOneOptions = {
  pairs: 50,
  fixedRate: 10_000,
  fixedMs: 10_000,
  searchRates: [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 120_000],
  stepMs: 4_000,
  warmupMs: 2_000,
  drainMs: 3_000,
};

/** Runs a step; re-runs it (once) when other work on the machine spoiled it. */
async function step(o: OneToOneOptions, s: StepOptions): Promise<StepResult> {
  let r = await runStep(s);
  for (let retry = 0; retry < 1 && !r.valid && r.otherCpu > MAX_OTHER_CPU; retry++) {
    o.log?.(`  (retrying: ${describe(r)})`);
    r = await runStep(s);
  }
  return r;
}

function describe(r: StepResult): string {
  return `${r.target} @ ${r.rate}/s: delivered ${Math.round(r.achievedRate)}/s, p50 ${r.e2e.p50.toFixed(2)} p99 ${r.e2e.p99.toFixed(2)} p999 ${r.e2e.p999.toFixed(2)} ms, server ${r.cpuMsPer1k.toFixed(1)} CPU-ms/1k, gen CPU ${(r.genCpu * 100).toFixed(0)}%, other CPU ${(r.otherCpu * 100).toFixed(0)}%, errors ${r.errors}${r.valid ? '' : ' INVALID: ' + r.invalidReasons.join('; ')}\n    worst ms per second: ${r.e2eMaxBySecond.join(' ')}`;
}

async function search(o: OneToOneOptions, target: 'tidings' | 'ws'): Promise<{ steps: StepResult[]; best: SearchOutcome }> {
  const steps: StepResult[] = [];
  let best: SearchOutcome = { rate: 0, stoppedBy: 'first step failed', conclusive: true };
  for (const rate of o.searchRates) {
    // A failed step runs once more (searchTrials); the search stops only if that fails too, both trials listed.
    const { r, v } = await searchTrials(
      () => step(o, { root: ROOT, target, rate, pairs: o.pairs, warmupMs: o.warmupMs, durationMs: o.stepMs, drainMs: o.drainMs }),
      (t, again) => {
        steps.push(t);
        o.log?.(`  search${again ? ' again' : ''} ${describe(t)}`);
      },
    );
    if (!v.ok) return { steps, best: { rate: best.rate, stoppedBy: `${rate}/s: ${v.why}`, conclusive: r.valid } };
    best = { rate, stoppedBy: 'highest step tried', conclusive: false };
  }
  return { steps, best };
}

/** Runs the fixed-rate test and the max-throughput search for both targets. */
export async function runOneToOne(o: OneToOneOptions): Promise<OneToOneRun> {
  const fixedStep = (target: 'tidings' | 'ws'): Promise<StepResult> =>
    step(o, { root: ROOT, target, rate: o.fixedRate, pairs: o.pairs, warmupMs: o.warmupMs, durationMs: o.fixedMs, drainMs: o.drainMs });
  const tidings = await fixedStep('tidings');
  o.log?.(`fixed ${describe(tidings)}`);
  const ws = await fixedStep('ws');
  o.log?.(`fixed ${describe(ws)}`);
  const st = await search(o, 'tidings');
  const sw = await search(o, 'ws');
  return { fixed: { tidings, ws }, search: { tidings: st.steps, ws: sw.steps }, best: { tidings: st.best, ws: sw.best } };
}

/** Runs Tidings alone under `--cpu-prof` and returns the top self-time functions as markdown. */
export async function profileTidings(o: OneToOneOptions, rate: number, secure = false): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-prof-'));
  try {
    const r = await runStep({
      root: ROOT, target: 'tidings', rate, pairs: o.pairs, warmupMs: o.warmupMs, durationMs: o.stepMs, drainMs: o.drainMs,
      serverNodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir],
      ...(secure ? { secure } : {}),
    });
    o.log?.(`profiled ${describe(r)}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no .cpuprofile');
    const top = topSelfTime(join(dir, file), 25);
    return [
      `Tidings server under \`--cpu-prof\`${secure ? ', secure sessions,' : ''} at ${rate} msgs/s offered for ${o.stepMs / 1000} s (whole process life, start-up included):`,
      `${describe(r)}`,
      '',
      markdownTable(['self ms', '% of samples', 'function'], top.map((t) => [t.ms.toFixed(0), t.percent.toFixed(1), `\`${t.fn}\``])),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Command-line entry: `npm run bench -- one-to-one [--no-write] [--profile [--profile-rate N]]`. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'no-write': { type: 'boolean' }, profile: { type: 'boolean' }, 'profile-rate': { type: 'string', default: '20000' } },
  });
  const write = !values['no-write'] && process.env.BENCH_NO_WRITE !== '1';
  const o: OneToOneOptions = { ...DEFAULTS, log: (l) => console.log(l) };
  const machine = describeMachine();
  const command = `npm run bench -- one-to-one${argv.length ? ' ' + argv.join(' ') : ''}`;
  const meta = { command, date: new Date().toISOString(), machine, commit: gitCommit(ROOT) };
  console.log(`${machine}\ncommit ${meta.commit}`);
  const results = join(ROOT, 'bench/RESULTS.md');
  if (values.profile) {
    const body = await profileTidings(o, Number(values['profile-rate']));
    console.log('\n' + body);
    if (write) updateSection(results, 'one-to-one: server CPU profile', `${runHeader({ command, date: meta.date, commit: meta.commit, machine })}\n\n${body}`);
    return;
  }
  const started = Date.now();
  const run = await runOneToOne(o);
  const body = renderOneToOne(run, meta);
  console.log(`\n${body}\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (write) {
    updateSection(results, 'one-to-one', body);
    console.log(`wrote the one-to-one section of ${results}`);
  }
}
