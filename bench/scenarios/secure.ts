// `npm run bench -- secure`: the secure session's cost on durable 1:1
// messaging. The same server build runs with `secureSession: optional`;
// the generator speaks the secure session (sealing every send and opening
// every record with node:crypto) or plaintext frames, alternating on/off
// steps so noise from other work on the machine hits both alike. (a) fixed
// rate, twice each; (b) the highest sustained rate of each. Writes the
// `## secure session` section of bench/RESULTS.md.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, gitCommit } from '../lib/machine.ts';
import { markdownTable, updateSection, runHeader } from '../lib/results-md.ts';
import { searchTrials, sustained } from '../load/one-to-one-report.ts';
import { runStep, type StepResult } from '../load/run-step.ts';
import { DEFAULTS, profileTidings } from './one-to-one.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAIRS = 50;
const FIXED = 10_000;
const SEARCH = [10_000, 12_000, 14_000, 16_000, 18_000, 20_000, 22_000, 25_000, 30_000, 40_000];

const label = (secure: boolean): string => (secure ? 'on' : 'off');
const row = (r: StepResult, secure: boolean, test: string): string[] => [
  label(secure),
  test,
  r.rate.toLocaleString('en-US'),
  Math.round(r.achievedRate).toLocaleString('en-US'),
  r.e2e.p50.toFixed(2),
  r.e2e.p99.toFixed(2),
  r.cpuMsPer1k.toFixed(1),
  (r.serverCpu * 100).toFixed(0),
  (r.genCpu * 100).toFixed(0),
  (r.otherCpu * 100).toFixed(0),
  sustained(r).why,
];

/** Command-line entry: `npm run bench -- secure [--no-write] [--profile [--profile-rate N]]`. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'no-write': { type: 'boolean' }, profile: { type: 'boolean' }, 'profile-rate': { type: 'string', default: '14000' } },
  });
  // Both modes against one server configuration: only the generator's choice differs.
  process.env.TIDINGS_SECURE_SESSION = 'optional';
  if (values.profile) {
    // Where the server's time goes with and without the secure session, at one rate (printed, not written).
    const o = { ...DEFAULTS, pairs: PAIRS, log: (l: string) => console.log(l) };
    for (const secure of [true, false]) console.log(`\n### secure ${label(secure)}\n\n${await profileTidings(o, Number(values['profile-rate']), secure)}`);
    return;
  }
  const rows: string[][] = [];
  const once = (secure: boolean, rate: number, durationMs: number): Promise<StepResult> =>
    runStep({ root: ROOT, target: 'tidings', rate, pairs: PAIRS, warmupMs: 2000, durationMs, drainMs: 3000, secure });
  // A search step that fails (or is invalid: the generator fell behind) is run once more, for either mode alike
  // (searchTrials), so one noisy trial near the knee does not end a mode's search; both trials are in the table.
  const searchStep = async (secure: boolean, rate: number, test: string): Promise<StepResult> =>
    (
      await searchTrials(
        () => once(secure, rate, 4000),
        (r) => {
          rows.push(row(r, secure, test));
          console.log(`${test} secure ${label(secure)} @ ${rate}: ${Math.round(r.achievedRate)}/s p99 ${r.e2e.p99.toFixed(2)} ms, ${sustained(r).why}`);
        },
      )
    ).r;
  const fixed: Record<'on' | 'off', StepResult[]> = { on: [], off: [] };
  for (let i = 0; i < 2; i++) {
    for (const secure of [true, false]) {
      const r = await once(secure, FIXED, 8000);
      fixed[label(secure) as 'on' | 'off'].push(r);
      rows.push(row(r, secure, 'fixed rate'));
      console.log(`fixed secure ${label(secure)}: ${Math.round(r.achievedRate)}/s p99 ${r.e2e.p99.toFixed(2)} ms, ${r.cpuMsPer1k.toFixed(1)} CPU-ms/1k, other CPU ${(r.otherCpu * 100).toFixed(0)}%`);
    }
  }
  const best: Record<'on' | 'off', number> = { on: 0, off: 0 };
  for (const rate of SEARCH) {
    let any = false;
    for (const secure of [true, false]) {
      const key = label(secure) as 'on' | 'off';
      // A mode that failed the previous step is not tried higher.
      const previous = SEARCH[SEARCH.indexOf(rate) - 1];
      if (previous !== undefined && best[key] < previous) continue;
      const r = await searchStep(secure, rate, 'max search');
      if (sustained(r).ok) {
        best[key] = rate;
        any = true;
      }
    }
    if (!any) break;
  }
  // The coarse steps are 10-20% apart, too coarse to tell a 15% difference: halve the gap between each mode's
  // best step and the next one twice (500 msgs/s resolution), modes alternating.
  const ceiling: Record<'on' | 'off', number> = { on: 0, off: 0 };
  for (const k of ['on', 'off'] as const) ceiling[k] = SEARCH.find((r) => r > best[k]) ?? best[k];
  for (let i = 0; i < 2; i++) {
    for (const secure of [true, false]) {
      const key = label(secure) as 'on' | 'off';
      if (best[key] === 0 || ceiling[key] - best[key] <= 500) continue;
      const rate = Math.round((best[key] + ceiling[key]) / 2 / 500) * 500;
      const r = await searchStep(secure, rate, 'refine');
      if (sustained(r).ok) best[key] = rate;
      else ceiling[key] = rate;
    }
  }
  const cpu = (k: 'on' | 'off'): number => fixed[k].reduce((a, r) => a + r.cpuMsPer1k, 0) / fixed[k].length;
  const p99 = (k: 'on' | 'off'): number => Math.min(...fixed[k].map((r) => r.e2e.p99));
  const summary = markdownTable(
    ['metric', 'secure on', 'secure off', 'on / off'],
    [
      ['server CPU-ms / 1k msgs at 10,000/s (mean of 2)', cpu('on').toFixed(1), cpu('off').toFixed(1), (cpu('on') / cpu('off')).toFixed(2) + 'x'],
      ['best p99 ms at 10,000/s', p99('on').toFixed(2), p99('off').toFixed(2), (p99('on') / p99('off')).toFixed(2) + 'x'],
      ['max sustained msgs/s', best.on.toLocaleString('en-US'), best.off.toLocaleString('en-US'), best.off ? (best.on / best.off).toFixed(2) + 'x' : 'n/a'],
    ],
  );
  const header = ['secure', 'test', 'offered msg/s', 'delivered msg/s', 'p50 ms', 'p99 ms', 'server CPU-ms / 1k', 'server CPU %', 'gen CPU %', 'other CPU %', 'verdict'];
  const body = [
    runHeader({ command: 'npm run bench -- secure', date: new Date().toISOString(), commit: gitCommit(ROOT), machine: describeMachine() }),
    '',
    'Same server (`secureSession: optional`), same generator; "on" seals every send and opens every record (AES-256-GCM,',
    'node:crypto), "off" sends plaintext frames. Steps alternate on/off; after the coarse steps, two refining steps per mode',
    'halve the gap above its best rate (500 msgs/s resolution); a search step that fails is run once more (both trials listed). Sustained: >= 95% delivered, p99 <= 200 ms, no errors, valid run.',
    'The server seals the frames of one event-loop turn into one record. Target: the secure session costs at most 15% of throughput.',
    '',
    summary,
    '',
    markdownTable(header, rows),
  ].join('\n');
  console.log('\n' + body);
  if (!values['no-write'] && process.env.BENCH_NO_WRITE !== '1') updateSection(join(ROOT, 'bench/RESULTS.md'), 'secure session', body);
}
