// `npm run bench -- chatroom`: one chatroom with 10,000 connected members,
// Tidings against a plain `ws` room broadcast (same frame encoded once, same
// per-tick coalescing) and a Socket.IO room broadcast, side by side in one
// run. The load generator runs in its own process. Writes the `## chatroom`
// section of bench/RESULTS.md. `--members N`, `--rates 50,200`, `--seconds S`
// and `--no-write` change the run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newNonce, signRequest } from '@tidings/server-sdk';
import { stopChild, tail } from '../lib/child.ts';
import { describeMachine, gitCommit } from '../lib/machine.ts';
import { machineBusyMs, sampleProc } from '../lib/proc-stats.ts';
import { markdownTable, updateSection } from '../lib/results-md.ts';
import { readRuntime, startTidings, type TidingsRuntime } from '../lib/tidings-server.ts';
import type { LatencySummary } from '../lib/histogram.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One generator run's outcome. */
export interface GenResult {
  readonly target: string;
  readonly members: number;
  readonly rate: number;
  readonly connectMs: number;
  readonly sentInWindow: number;
  readonly deliveries: number;
  readonly expected: number;
  readonly deliveriesPerSec: number;
  readonly latency: LatencySummary;
  readonly genCpu: number;
  readonly errors: number;
  /** Server CPU, fraction of one core, over the generator's life. */
  serverCpu?: number;
  /** Whole-machine busy fraction (both cores) over the run. */
  machineBusy?: number;
  serverRssMb?: number;
}

/** A running server under test. */
export interface Target {
  readonly pid: number;
  readonly url: string;
  readonly runtime?: TidingsRuntime;
  stop(): Promise<void>;
}

/** Starts a baseline script that prints `{"port":N}`. */
export async function startScript(script: string, path = ''): Promise<Target> {
  const child = spawn(process.execPath, [join(ROOT, script), '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child.stderr);
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr()}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const port = (JSON.parse(line) as { port: number }).port;
  return { pid: child.pid!, url: `ws://127.0.0.1:${port}${path}`, stop: () => stopChild(child) };
}

/** Starts a Tidings node (plaintext sessions, see BENCH_ENV). */
export async function startTidingsTarget(): Promise<Target> {
  const h = await startTidings({ root: ROOT });
  return { pid: h.pid, url: h.wsUrl, runtime: readRuntime(h.runtimeFile!), stop: h.stop };
}

/** One signed server API call as the node's dev app. */
export async function api(rt: TidingsRuntime, method: string, url: string, body: unknown): Promise<unknown> {
  const text = JSON.stringify(body);
  const timestamp = String(Date.now());
  const nonce = newNonce();
  const headers = signRequest(rt.devApp.appSecret, { appKey: rt.devApp.appKey, timestamp, nonce, method, url, body: new TextEncoder().encode(text) });
  const res = await fetch(rt.httpUrl + url, {
    method,
    headers: { ...headers, 'x-tidings-app': rt.devApp.appKey, 'x-tidings-timestamp': timestamp, 'x-tidings-nonce': nonce, 'content-type': 'application/json' },
    body: text,
  });
  const answer = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Runs the generator process against `t` and samples the server's CPU meanwhile. */
export async function runGen(t: Target, args: Record<string, string | number>): Promise<GenResult> {
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const child = spawn(process.execPath, [join(ROOT, 'bench/load/room-gen.ts'), '--url', t.url, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child.stderr);
  const out = tail(child.stdout, 100_000);
  const p0 = sampleProc(t.pid);
  const m0 = machineBusyMs();
  const w0 = performance.now();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wall = performance.now() - w0;
  const p1 = sampleProc(t.pid);
  const m1 = machineBusyMs();
  if (code !== 0) throw new Error(`generator exited with ${code}: ${stderr()}`);
  const r = JSON.parse(out().trim().split('\n').at(-1)!) as GenResult;
  // The server's share includes the connect phase; it is what a member costs, too.
  r.serverCpu = (p1.cpuMs - p0.cpuMs) / wall;
  r.machineBusy = (m1 - m0) / wall / 2;
  r.serverRssMb = Math.round(p1.rssBytes / 1e6);
  return r;
}

const f = (n: number, d = 0): string => n.toFixed(d);

/** Markdown rows of results. */
export function rows(rs: readonly GenResult[]): string[][] {
  return rs.map((r) => [
    r.target,
    f(r.members),
    f(r.rate),
    `${f(r.deliveries)} / ${f(r.expected)}`,
    f(r.deliveriesPerSec),
    `${f(r.latency.p50, 1)} / ${f(r.latency.p99, 1)} / ${f(r.latency.max, 1)}`,
    `${f((r.serverCpu ?? 0) * 100)}%`,
    `${f(r.genCpu * 100)}%`,
    `${f((r.machineBusy ?? 0) * 100)}%`,
    f(r.serverRssMb ?? 0),
    f(r.errors),
  ]);
}

export const HEADER = ['target', 'members', 'msgs/s', 'delivered / expected', 'deliveries/s', 'latency p50 / p99 / max ms', 'server CPU', 'generator CPU', 'machine busy', 'server RSS MB', 'errors'];

async function one(kind: 'tidings' | 'ws' | 'socketio', members: number, rate: number, seconds: number): Promise<GenResult> {
  const t = kind === 'tidings' ? await startTidingsTarget() : kind === 'ws' ? await startScript('bench/baselines/ws-room-server.ts') : await startScript('bench/baselines/socketio-room-server.ts');
  try {
    const extra: Record<string, string | number> = {};
    if (t.runtime) {
      // Unlimited room rate for the benchmark: measure fan-out, not the shedding policy.
      await api(t.runtime, 'PUT', '/v1/chatrooms/policy', { ratePerSecond: 0, joinRecent: 0 });
      await api(t.runtime, 'POST', '/v1/chatrooms', { roomId: 'bench' });
      extra.app = t.runtime.devApp.appKey;
      extra['token-key'] = t.runtime.devApp.tokenKey;
    }
    const target = kind === 'tidings' ? 'tidings-room' : kind;
    return await runGen(t, { target, members, rate, duration: seconds * 1000, ...extra });
  } finally {
    await t.stop();
  }
}

/** `npm run bench -- chatroom [--members N] [--rates 50,200] [--seconds S] [--no-write]`. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { members: { type: 'string', default: '10000' }, rates: { type: 'string', default: '50,200' }, seconds: { type: 'string', default: '10' }, 'no-write': { type: 'boolean' }, only: { type: 'string', default: 'tidings,ws,socketio' } },
  });
  const members = Number(values.members);
  const seconds = Number(values.seconds);
  const machine = describeMachine();
  const command = `npm run bench -- chatroom${argv.length ? ' ' + argv.join(' ') : ''}`;
  console.log(`${machine}\ncommit ${gitCommit(ROOT)}`);
  const results: GenResult[] = [];
  for (const rate of values.rates.split(',').map(Number)) {
    for (const kind of values.only.split(',') as Array<'tidings' | 'ws' | 'socketio'>) {
      const r = await one(kind, members, rate, seconds);
      console.log(JSON.stringify(r));
      results.push(r);
    }
  }
  const body = [
    `Command: \`${command}\`  `,
    `Date: ${new Date().toISOString()}  `,
    `Commit: ${gitCommit(ROOT)}  `,
    `Machine: ${machine}`,
    '',
    `One room, ${members} member sockets plus one publisher, all in one generator process (its own process; source addresses 127.0.0.10-25). The publisher sends at a fixed rate for ${seconds} s after a 2 s warm-up; content is the send instant, so latency is publisher-send to member-receive on one clock (sampled on 1 in 20 sockets). Tidings runs plaintext sessions (the generator does not speak the secure handshake), with its room rate limit off.`,
    '',
    markdownTable(HEADER, rows(results)),
  ].join('\n');
  console.log('\n' + body);
  if (!values['no-write'] && process.env.BENCH_NO_WRITE !== '1') updateSection(join(ROOT, 'bench/RESULTS.md'), 'chatroom', body);
}
