// `npm run bench -- group`: durable group messaging, groups of 100 and 1,000
// members, all members online; the load generator (its own process) holds
// the member sockets and one publishing member. Each message commits once
// (SQLite, WAL) with one change-index pointer per member, then is pushed to
// every member. Reports deliveries/s and latency. Writes `## group` of
// bench/RESULTS.md. `--runs 100@200,1000@50` (members@msgs/s), `--seconds S`.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, gitCommit } from '../lib/machine.ts';
import { markdownTable, updateSection, runHeader } from '../lib/results-md.ts';
import { HEADER, api, rows, runGen, startTidingsTarget, type GenResult } from './chatroom.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function one(members: number, rate: number, seconds: number): Promise<GenResult> {
  const t = await startTidingsTarget();
  try {
    const rt = t.runtime!;
    // Members u0..u<members>; the last one publishes.
    const users = Array.from({ length: members + 1 }, (_, i) => `u${i}`);
    await api(rt, 'POST', '/v1/groups', { groupId: 'bench', owner: users[0] });
    for (let i = 1; i < users.length; i += 500) await api(rt, 'POST', '/v1/groups/bench/members', { members: users.slice(i, i + 500) });
    return await runGen(t, { target: 'tidings-group', conv: 'g:bench', members, rate, duration: seconds * 1000, app: rt.devApp.appKey, 'token-key': rt.devApp.tokenKey });
  } finally {
    await t.stop();
  }
}

/** `npm run bench -- group [--runs 100@200,1000@50] [--seconds S] [--no-write]`. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { runs: { type: 'string', default: '100@200,100@1000,1000@50,1000@200' }, seconds: { type: 'string', default: '10' }, 'no-write': { type: 'boolean' } },
  });
  const seconds = Number(values.seconds);
  const machine = describeMachine();
  const command = `npm run bench -- group${argv.length ? ' ' + argv.join(' ') : ''}`;
  console.log(`${machine}\ncommit ${gitCommit(ROOT)}`);
  const results: GenResult[] = [];
  for (const run of values.runs.split(',')) {
    const [m, r] = run.split('@').map(Number) as [number, number];
    const res = await one(m, r, seconds);
    console.log(JSON.stringify(res));
    results.push(res);
  }
  const body = [
    runHeader({ command, date: new Date().toISOString(), commit: gitCommit(ROOT), machine }),
    '',
    `One group, every member online (one socket each, in the generator process), one member publishing at a fixed rate for ${seconds} s after a 2 s warm-up. Every message is committed to SQLite (WAL, synchronous=normal) before its push, stored once, with one change-index pointer written per member in the same group commit. Latency: member receive minus the intended send instant (open loop), every delivery; generator as in the chatroom section (raw sockets, publisher in a worker thread). Tidings plaintext sessions.`,
    '',
    markdownTable(HEADER, rows(results)),
  ].join('\n');
  console.log('\n' + body);
  if (!values['no-write'] && process.env.BENCH_NO_WRITE !== '1') updateSection(join(ROOT, 'bench/RESULTS.md'), 'group', body);
}
