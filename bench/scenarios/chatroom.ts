// `npm run bench -- chatroom`: one chatroom with 10,000 connected members,
// Tidings against a plain `ws` room broadcast (same frame encoded once, same
// coalescing, rolling flush included) and a Socket.IO room broadcast, side by side in one
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
import { markdownTable, updateSection, runHeader } from '../lib/results-md.ts';
import { readRuntime, startTidings, type TidingsRuntime } from '../lib/tidings-server.ts';
import type { RoomGenResult } from '../load/room-gen.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One generator run's outcome (the generator's result plus what the scenario sampled around it). */
export interface GenResult extends RoomGenResult {
  /** Server CPU over the generator's window, fraction of one core. */
  serverCpu?: number;
  /** Whole-machine busy fraction (both cores) over the window. */
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

/** Runs the generator process against `t`; samples the server's CPU and the machine's over the generator's window. */
export async function runGen(t: Target, args: Record<string, string | number>): Promise<GenResult> {
  const argv = Object.entries(args).map(([k, v]) => `--${k}=${String(v)}`); // one token each: a value may start with a dash
  const child = spawn(process.execPath, [join(ROOT, 'bench/load/room-gen.ts'), '--url', t.url, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child.stderr);
  let result: RoomGenResult | undefined;
  let p0 = sampleProc(t.pid);
  let p1 = p0;
  let m0 = machineBusyMs();
  let m1 = m0;
  let w0 = performance.now();
  let w1 = w0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as { type: string };
    if (e.type === 'window-start') [p0, m0, w0] = [sampleProc(t.pid), machineBusyMs(), performance.now()];
    else if (e.type === 'window-end') [p1, m1, w1] = [sampleProc(t.pid), machineBusyMs(), performance.now()];
    else if (e.type === 'result') result = e as RoomGenResult;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !result) throw new Error(`generator exited with ${code}: ${stderr()}`);
  const wall = Math.max(1, w1 - w0);
  return { ...result, serverCpu: (p1.cpuMs - p0.cpuMs) / wall, machineBusy: (m1 - m0) / wall / 2, serverRssMb: Math.round(p1.rssBytes / 1e6) };
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
    `${f(r.first.p50, 1)} / ${f(r.spread.p50, 1)}`,
    `${f((r.serverCpu ?? 0) * 100)}%`,
    `${f(r.genCpu * 100)}%`,
    f(r.genUsPerDelivery, 2),
    `${f((r.machineBusy ?? 0) * 100)}%`,
    f(r.serverRssMb ?? 0),
    f(r.errors),
    r.valid ? 'valid' : `INVALID: ${r.invalidReasons.join('; ')}`,
  ]);
}

export const HEADER = [
  'target', 'members', 'msgs/s', 'delivered / expected', 'deliveries/s', 'latency p50 / p99 / max ms', 'first delivery / spread p50 ms',
  'server CPU', 'generator CPU', 'gen µs / delivery', 'machine busy', 'server RSS MB', 'errors', 'verdict',
];

/** One trial: starts the target, runs the generator against it, stops the target. */
export async function chatroomTrial(kind: 'tidings' | 'ws' | 'socketio', members: number, rate: number, seconds: number): Promise<GenResult> {
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
      const r = await chatroomTrial(kind, members, rate, seconds);
      console.log(JSON.stringify(r));
      results.push(r);
    }
  }
  const body = [
    runHeader({ command, date: new Date().toISOString(), commit: gitCommit(ROOT), machine }),
    '',
    `One room, ${members} member sockets plus one publisher, all in one generator process (its own process; source addresses 127.0.0.10-25), the same generator for every target (bench/load/room-gen.ts): raw \`net\` sockets with a minimal WebSocket frame reader that only locates the 12-byte content (no client library, no protobuf decode, no per-message JSON), and the publisher in a worker thread with frames encoded once per message. Open loop: message k has the fixed intended send instant t0 + k/rate, carried in its content; latency is member receive minus that instant (no coordinated omission), recorded for every delivery on every socket. ${seconds} s window after a 2 s warm-up; deliveries/s counts the deliveries received during the window, of any message (the throughput, also of a target that falls behind); delivered / expected counts the deliveries of the messages intended in the window by the end of a 3 s drain. "first delivery / spread": per message, its first delivery minus its intended instant, and its last delivery minus its first. Server and generator CPU are measured over the window only; a trial whose generator used > 90% of a core in the window or fell > 10 ms (p99) behind its schedule is INVALID. Tidings runs plaintext sessions (the generator does not speak the secure handshake), with its room rate limit off. The ws baseline coalesces writes exactly as the Tidings gateway does, the rolling flush of big fan-outs included (bench/baselines/ws-room-server.ts).`,
    '',
    markdownTable(HEADER, rows(results)),
  ].join('\n');
  console.log('\n' + body);
  if (!values['no-write'] && process.env.BENCH_NO_WRITE !== '1') updateSection(join(ROOT, 'bench/RESULTS.md'), 'chatroom', body);
}
