// `npm run bench -- cluster`: cluster mode (PostgreSQL + NATS) beside the
// embedded mode (SQLite + in-process bus), in one run on one machine:
// (a) the storage write path alone, per-message commit vs group commit, on
// both engines; (b) 1:1 messaging through 1, 2 and 3 cluster nodes (every
// pair spans two nodes once there are two) and through one embedded node, at
// the same offered rates; node CPU-ms and whole-machine CPU-ms per 1,000
// messages; (c) one chatroom with its members spread over 1, 2 and 3 nodes
// (bench/scenarios/cluster-rooms.ts). Writes the `## cluster` section of
// bench/RESULTS.md.
import { BENCH_ENV } from '../lib/tidings-server.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pollUntil, stopChild, tail } from '../lib/child.ts';
import { readJsonLines } from '../lib/json-lines.ts';
import { describeMachine, gitCommit } from '../lib/machine.ts';
import { sampleProc } from '../lib/proc-stats.ts';
import { markdownTable, updateSection, runHeader, type RunHeader } from '../lib/results-md.ts';
import { readRuntime } from '../lib/tidings-server.ts';
import type { GenEvent, GenResult } from '../load/gen-result.ts';
import { POSTGRES_URL, adminQuery, dropSchema, freshSchemaName } from '../../packages/server/src/storage/postgres/pg.fixture.ts';
import { renderRooms, roomStep, roomSustained, type RoomStep } from './cluster-rooms.ts';
import { NATS_URL, freshPrefix, requireNats } from '../../packages/server/src/bus/nats/nats.fixture.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One way of running the server: embedded, or a cluster of n nodes. */
interface Setup {
  readonly name: string;
  readonly nodes: number;
  readonly cluster: boolean;
  /** Conversation affinity (commitAffinity, off by default). */
  readonly affinity?: boolean;
}

interface Step {
  readonly setup: Setup;
  readonly rate: number;
  readonly gen: GenResult;
  readonly nodeCpuMs: number;
  /** Every postgres and nats-server process on the machine (shared services: other work on them counts too). */
  readonly servicesCpuMs: number;
  /** The postgres processes alone (backends, WAL writer, checkpointer), part of servicesCpuMs. */
  readonly postgresCpuMs: number;
  /** 1-minute load average at the end of the window: other work on the machine. */
  readonly load: number;
}

/** CPU ms of every process whose command is one of `names` (from /proc). */
function cpuOfCommands(names: ReadonlySet<string>): number {
  let ms = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!names.has(comm)) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      // The process ended meanwhile.
    }
  }
  return ms;
}
const SERVICES = new Set(['postgres', 'nats-server']);
const POSTGRES = new Set(['postgres']);

interface Nodes {
  readonly pids: number[];
  readonly urls: string[];
  readonly runtimeFile: string;
  stop(): Promise<void>;
}

async function startNodes(s: Setup): Promise<Nodes> {
  const schema = freshSchemaName();
  const prefix = freshPrefix();
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopChild(c)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (s.cluster) await dropSchema(schema);
  };
  const start = async (i: number): Promise<{ pid: number; wsUrl: string; file: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
    dirs.push(dir);
    const env = {
      ...process.env,
      ...BENCH_ENV, // plain tidings.v1, abuse limits off
      ...(s.cluster
        ? { TIDINGS_CLUSTER: '1', TIDINGS_NODE_ID: String(i), TIDINGS_POSTGRES_URL: POSTGRES_URL, TIDINGS_POSTGRES_SCHEMA: schema, TIDINGS_NATS_URL: NATS_URL, TIDINGS_NATS_PREFIX: prefix, TIDINGS_COMMIT_AFFINITY: s.affinity ? '1' : '0', TIDINGS_PRESENCE_HEARTBEAT_MS: '500' }
        : {}),
    };
    // BENCH_CPU_PROF_DIR: every node writes a V8 CPU profile there when it stops (bench/lib/cpu-profile.ts reads them).
    const prof = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : [];
    const child = spawn(process.execPath, [...prof, 'packages/cli/src/main.ts', 'start', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const stderr = tail(child.stderr);
    const file = join(dir, 'runtime.json');
    const info = await pollUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`node ${i} exited with ${child.exitCode}: ${stderr()}`);
        return existsSync(file) ? readRuntime(file) : undefined;
      },
      30_000,
      `node ${i} runtime.json`,
    );
    return { pid: info.pid, wsUrl: info.wsUrl, file };
  };
  try {
    const first = await start(1);
    const rest = await Promise.all(Array.from({ length: s.nodes - 1 }, (_, i) => start(i + 2)));
    const all = [first, ...rest];
    return { pids: all.map((n) => n.pid), urls: all.map((n) => n.wsUrl), runtimeFile: first.file, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function runStep(s: Setup, rate: number, o: { pairs: number; warmupMs: number; durationMs: number; drainMs: number }): Promise<Step> {
  const nodes = await startNodes(s);
  try {
    const args = [
      join(ROOT, 'bench/load/one-to-one-gen.ts'),
      ...['--target', 'tidings', '--url', nodes.urls.join(','), '--runtime', nodes.runtimeFile],
      ...['--pairs', String(o.pairs), '--rate', String(rate), '--warmup-ms', String(o.warmupMs), '--duration-ms', String(o.durationMs), '--drain-ms', String(o.drainMs)],
      // A saturated server is what we measure; the generator only has to keep its schedule.
      ...['--max-lag-ms', '50'],
    ];
    const gen = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = tail(gen.stderr);
    const cpu = (): number => nodes.pids.reduce((sum, pid) => sum + sampleProc(pid).cpuMs, 0);
    let cpu0 = 0;
    let cpu1 = 0;
    let svc0 = 0;
    let svc1 = 0;
    let pg0 = 0;
    let pg1 = 0;
    let load = 0;
    let result: GenResult | undefined;
    readJsonLines<GenEvent>(gen.stdout!, (e) => {
      if (e.type === 'window-start') [cpu0, svc0, pg0] = [cpu(), cpuOfCommands(SERVICES), cpuOfCommands(POSTGRES)];
      else if (e.type === 'window-end') [cpu1, svc1, pg1, load] = [cpu(), cpuOfCommands(SERVICES), cpuOfCommands(POSTGRES), loadavg()[0]!];
      else if (e.type === 'result') result = e;
    });
    const code = await new Promise<number | null>((resolve) => gen.once('exit', resolve));
    if (code !== 0 || !result) throw new Error(`generator failed (exit ${code}): ${stderr()}`);
    return { setup: s, rate, gen: result, nodeCpuMs: cpu1 - cpu0, servicesCpuMs: svc1 - svc0, postgresCpuMs: pg1 - pg0, load };
  } finally {
    await nodes.stop();
  }
}

/** Delivered at the offered rate, nothing lost, p99 under 250 ms. */
function sustained(st: Step): boolean {
  const g = st.gen;
  return g.errors === 0 && g.window.delivered >= g.window.sent * 0.99 && g.e2e.p99 < 250;
}

/** Runs a micro-benchmark script and keeps its result lines. */
function writePath(script: string, args: string[]): string[] {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

const per1k = (ms: number, n: number): string => (n === 0 ? '-' : ((ms / n) * 1000).toFixed(0));

function render(steps: readonly Step[], pgLines: string[], sqliteLines: string[], meta: RunHeader, o: { pairs: number; durationMs: number }): string {
  const rows = steps.map((st) => [
    st.setup.name,
    String(st.rate),
    String(Math.round(st.gen.achievedRate)),
    `${st.gen.ack.p50.toFixed(1)} / ${st.gen.ack.p99.toFixed(1)}`,
    `${st.gen.e2e.p50.toFixed(1)} / ${st.gen.e2e.p99.toFixed(1)}`,
    per1k(st.nodeCpuMs, st.gen.window.sent),
    per1k(st.nodeCpuMs + st.servicesCpuMs, st.gen.window.sent),
    st.setup.cluster ? per1k(st.postgresCpuMs, st.gen.window.sent) : '-',
    st.load.toFixed(1),
    sustained(st) ? 'yes' : 'no',
  ]);
  const best = new Map<string, number>();
  for (const st of steps) if (sustained(st)) best.set(st.setup.name, Math.max(best.get(st.setup.name) ?? 0, st.rate));
  const names = [...new Set(steps.map((s) => s.setup.name))];
  return [
    runHeader(meta),
    '',
    `1:1 messaging, ${o.pairs} pairs (${o.pairs * 2} sockets), open-loop generator at fixed offered rates, ${o.durationMs / 1000} s measured per step, a fresh server (and a fresh PostgreSQL schema) per step.`,
    'With 2 or 3 nodes sender i connects to node i mod n, so every message crosses NATS from one node to another. With conversation affinity (`commitAffinity=1`, off by default) each conversation commits on one owner node and the others send it its commits over NATS.',
    'Node CPU: utime+stime of the Tidings processes. Node+services: plus every postgres and nats-server process (shared services: other work on them counts too); postgres: those named postgres alone (backends, WAL writer, checkpointer). Load: 1-minute load average at the end of the step (other work on the machine).',
    'Sustained: >= 99% delivered in the window, no errors, end-to-end p99 < 250 ms.',
    '',
    markdownTable(['setup', 'offered/s', 'delivered/s', 'ack p50 / p99 ms', 'e2e p50 / p99 ms', 'node CPU-ms/1k', 'node+services CPU-ms/1k', 'postgres CPU-ms/1k', 'load', 'sustained'], rows),
    '',
    'Highest sustained offered rate: ' + names.map((n) => `${n}: ${best.get(n) ?? 'none'}`).join('; ') + '.',
    '',
    'Write path alone (`commitSends`, no network clients), same run:',
    '',
    '```',
    '$ npx node packages/server/src/storage/postgres/commit.bench.ts 3',
    ...pgLines,
    '$ npx node packages/server/src/storage/sqlite/commit.bench.ts',
    ...sqliteLines,
    '```',
  ].join('\n');
}

/** Command-line entry: `npm run bench -- cluster [--no-write] [--rates a,b,c] [--duration-ms N] [--setups "name;name"] [--no-write-path] [--room-rates a,b] [--room-members N] [--no-one-to-one]`. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'no-write': { type: 'boolean' },
      rates: { type: 'string', default: '2000,5000,10000,20000' },
      'duration-ms': { type: 'string', default: '5000' },
      pairs: { type: 'string', default: '50' },
      // Only the setups whose names are listed (e.g. "cluster, 1 node"), and the write-path micro-benchmarks skipped.
      setups: { type: 'string' },
      'no-write-path': { type: 'boolean' },
      // The chatroom part: offered messages/s to one room of --room-members members (0 rates: skipped).
      'room-rates': { type: 'string', default: '100,200,400' },
      'room-members': { type: 'string', default: '1000' },
      // The 1:1 part skipped (chatrooms only).
      'no-one-to-one': { type: 'boolean' },
    },
  });
  await adminQuery('SELECT 1');
  await requireNats();
  const write = !values['no-write'] && process.env.BENCH_NO_WRITE !== '1';
  const rates = values.rates.split(',').map(Number);
  const o = { pairs: Number(values.pairs), warmupMs: 2000, durationMs: Number(values['duration-ms']), drainMs: 3000 };
  const machine = describeMachine();
  const command = `npm run bench -- cluster${argv.length ? ' ' + argv.join(' ') : ''}`;
  const meta = { command, date: new Date().toISOString(), machine, commit: gitCommit(ROOT) };
  console.log(`${machine}\ncommit ${meta.commit}`);
  const started = Date.now();
  const pgLines = values['no-write-path'] ? [] : writePath('packages/server/src/storage/postgres/commit.bench.ts', ['3']);
  console.log(pgLines.join('\n'));
  const sqliteLines = values['no-write-path'] ? [] : writePath('packages/server/src/storage/sqlite/commit.bench.ts', []);
  console.log(sqliteLines.join('\n'));
  const setups: Setup[] = [
    { name: 'embedded (SQLite)', nodes: 1, cluster: false },
    { name: 'cluster, 1 node', nodes: 1, cluster: true },
    { name: 'cluster, 2 nodes', nodes: 2, cluster: true },
    { name: 'cluster, 3 nodes', nodes: 3, cluster: true },
    { name: 'cluster, 2 nodes, affinity', nodes: 2, cluster: true, affinity: true },
    { name: 'cluster, 3 nodes, affinity', nodes: 3, cluster: true, affinity: true },
  ];
  const only = values.setups?.split(';').map((n) => n.trim());
  const steps: Step[] = [];
  for (const s of setups.filter((x) => !values['no-one-to-one'] && (only === undefined || only.includes(x.name)))) {
    for (const rate of rates) {
      const st = await runStep(s, rate, o);
      steps.push(st);
      const g = st.gen;
      console.log(
        `${s.name} @ ${rate}/s: delivered ${Math.round(g.achievedRate)}/s, e2e p50 ${g.e2e.p50.toFixed(1)} p99 ${g.e2e.p99.toFixed(1)} ms, node ${per1k(st.nodeCpuMs, g.window.sent)} / +services ${per1k(st.nodeCpuMs + st.servicesCpuMs, g.window.sent)} / postgres ${per1k(st.postgresCpuMs, g.window.sent)} CPU-ms/1k, load ${st.load.toFixed(1)}, errors ${g.errors}${g.firstError ? ` (${g.firstError})` : ''}`,
      );
      // Past saturation the next rate only says the same, slower.
      if (!sustained(st)) break;
    }
  }
  const roomRates = values['room-rates'].split(',').map(Number).filter((r) => r > 0);
  const ro = { members: Number(values['room-members']), durationMs: o.durationMs };
  const roomSteps: RoomStep[] = [];
  for (const s of setups.filter((x) => !x.affinity && (only === undefined || only.includes(x.name)))) {
    for (const rate of roomRates) {
      const st = await roomStep(s.name, () => startNodes(s), rate, ro);
      roomSteps.push(st);
      console.log(`room, ${s.name} @ ${rate}/s x ${ro.members}: ${Math.round(st.gen.deliveriesPerSec)} deliveries/s, p50 ${st.gen.latency.p50.toFixed(1)} p99 ${st.gen.latency.p99.toFixed(1)} ms, node CPU ${((st.nodeCpuMs / Math.max(1, st.windowMs)) * 100).toFixed(0)}%, errors ${st.gen.errors}`);
      if (!roomSustained(st)) break;
    }
  }
  const body = [render(steps, pgLines, sqliteLines, meta, o), ...(roomSteps.length ? ['', renderRooms(roomSteps, ro)] : [])].join('\n');
  console.log(`\n${body}\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (write) {
    const file = join(ROOT, 'bench/RESULTS.md');
    updateSection(file, 'cluster', body);
    console.log(`wrote the cluster section of ${file}`);
  }
}
