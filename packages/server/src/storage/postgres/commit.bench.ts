/**
 * Micro-benchmark of the group-commit write path (not a test): `commitSends`
 * of the real adapters, content sealed at rest (a master key, as production
 * requires), text content of varied length, one batch in flight (as the
 * commit queue runs it). Every batch is one new message in each of `size`
 * distinct 1:1 conversations, the worst case for the per-conversation and
 * per-member rows. For each batch size: msgs/s, ms per batch, and CPU per
 * 1,000 messages of this process (making the inputs not counted), of its
 * PostgreSQL backend, and of every
 * postgres process (WAL writer and checkpointer included; other work on a
 * shared server counts too).
 *
 * Each measurement runs in a child process of its own, one at a time (the
 * two-node row runs two at once, on disjoint conversations): PostgreSQL,
 * then SQLite (`synchronous=normal`, the embedded default, and `full`) with
 * the same workload, so the engines are compared in the same run.
 *
 *   npx node packages/server/src/storage/postgres/commit.bench.ts [seconds per size] [--sizes 1,10,100,500,1000,2000]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { SendInput, Store } from '../port.ts';
import { createSqliteStore } from '../sqlite/store.ts';
import { createPostgresStore } from './store.ts';
import { POSTGRES_URL, dropSchema, freshSchemaName } from './pg.fixture.ts';

const SELF = fileURLToPath(import.meta.url);
const WORDS = 'the a to and of you I it is that in we for on this my be have are with me can what so just not at your was'.split(' ');
const SIZES = [1, 10, 100, 500, 1000, 2000];

/** What a child reports for one batch size. */
interface Figure {
  readonly size: number;
  readonly msgs: number;
  readonly seconds: number;
  readonly batchMsP50: number;
  readonly nodeCpuMs: number;
  /** The bench's own PostgreSQL backend (undefined on SQLite). */
  readonly backendCpuMs?: number;
  /** Every postgres process on the machine (undefined on SQLite). */
  readonly postgresCpuMs?: number;
}

/** utime + stime of a process, in ms. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** utime + stime of every process named `postgres`, in ms, by pid. */
function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres') byPid.set(Number(pid), cpuMsOf(Number(pid)));
    } catch {
      // Ended meanwhile.
    }
  }
  return byPid;
}

/** CPU the postgres processes used since `before` (a process that ended meanwhile is not counted: its last figure is gone). */
function postgresCpuSince(before: Map<number, number>): number {
  let ms = 0;
  for (const [pid, now] of postgresCpu()) ms += now - (before.get(pid) ?? 0);
  return ms;
}

/** Chat-like text: 3 to 60 short words (about 10 to 250 bytes), different for every message. */
function text(): Uint8Array {
  const n = 3 + Math.floor(Math.random() * Math.random() * 58);
  return new TextEncoder().encode(Array.from({ length: n }, () => WORDS[Math.floor(Math.random() * WORDS.length)]).join(' '));
}

let counter = 0;
/** One new message in each of `size` 1:1 conversations (a{i} to b{i}, tagged per run). */
function batch(size: number, round: number, tag: string): SendInput[] {
  return Array.from({ length: size }, (_, i) => {
    const n = counter++;
    return {
      appKey: 'bench',
      convId: `p:${tag}a${i}:${tag}b${i}`,
      kind: 'private',
      members: [`${tag}a${i}`, `${tag}b${i}`],
      senderId: `${tag}a${i}`,
      senderDevice: 'd1',
      clientMsgId: `c${tag}${n}`,
      senderSeq: round + 1,
      type: 'text',
      content: text(),
      flags: 0,
      msgId: `m${tag}${n}`,
      ts: Date.now(),
    };
  });
}

/** Commits batches of `size` for about `seconds` after two warm-up batches. */
async function measure(store: Store, size: number, seconds: number, tag: string, backendPid?: number): Promise<Figure> {
  let round = 0;
  /** CPU spent making inputs (not part of the write path; taken off the process figure). */
  let makingUs = 0;
  const commit = async (): Promise<number> => {
    const made = process.cpuUsage();
    const input = batch(size, round++, tag);
    const spent = process.cpuUsage(made);
    makingUs += spent.user + spent.system;
    const t0 = performance.now();
    const out = await store.commitSends(input);
    if (out.some((o) => o.status !== 'stored')) throw new Error(`${tag}: not every send was stored`);
    return performance.now() - t0;
  };
  for (let w = 0; w < 2; w++) await commit();
  const times: number[] = [];
  makingUs = 0;
  const node0 = process.cpuUsage();
  const backend0 = backendPid === undefined ? 0 : cpuMsOf(backendPid);
  const pg0 = backendPid === undefined ? new Map<number, number>() : postgresCpu();
  const t0 = performance.now();
  while (times.length < 3 || performance.now() - t0 < seconds * 1000) times.push(await commit());
  const elapsed = (performance.now() - t0) / 1000;
  const node = process.cpuUsage(node0);
  times.sort((x, y) => x - y);
  return {
    size,
    msgs: times.length * size,
    seconds: elapsed,
    batchMsP50: times[Math.floor(times.length / 2)]!,
    nodeCpuMs: (node.user + node.system - makingUs) / 1000,
    ...(backendPid === undefined ? {} : { backendCpuMs: cpuMsOf(backendPid) - backend0, postgresCpuMs: postgresCpuSince(pg0) }),
  };
}

/** Child: one engine, every size, one JSON line per size on stdout. */
async function child(engine: string, sizes: number[], seconds: number, tag: string, schema: string, masterKey: Uint8Array): Promise<void> {
  if (engine === 'postgres') {
    const name = `tidings-bench-${tag}`;
    const store = await createPostgresStore({ url: `${POSTGRES_URL}?application_name=${name}`, schema, poolSize: 1, masterKey });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      await store.commitSends(batch(1, 0, `${tag}x`)); // opens the pooled connection
      const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name]);
      if (rows.length !== 1) throw new Error(`expected one backend named ${name}, found ${rows.length}`);
      for (const size of sizes) console.log(JSON.stringify(await measure(store, size, seconds, `${tag}${size}`, rows[0].pid as number)));
    } finally {
      await admin.end();
      await store.close();
    }
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  const store = await createSqliteStore({ path: join(dir, 'bench.db'), synchronous: engine === 'sqlite-full' ? 'full' : 'normal', masterKey });
  try {
    for (const size of sizes) console.log(JSON.stringify(await measure(store, size, seconds, `${tag}${size}`)));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a child and returns its figures. */
function run(engine: string, sizes: number[], seconds: number, tag: string, schema: string, key: string): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [SELF, '--child', engine, '--sizes', sizes.join(','), '--tag', tag, '--schema', schema, '--key', key, String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').map((l) => JSON.parse(l) as Figure)) : reject(new Error(`${engine} child exited with ${code}`))));
  });
}

const rate = (f: Figure): number => f.msgs / f.seconds;
const per1k = (ms: number | undefined, f: Figure): string => (ms === undefined ? '-' : ((ms / f.msgs) * 1000).toFixed(0));

function table(title: string, figures: readonly Figure[]): void {
  console.log(title);
  console.log('batch   msgs/s   ms/batch p50   this process CPU-ms/1k   its backend CPU-ms/1k   all postgres CPU-ms/1k');
  for (const f of figures) {
    console.log(
      `${String(f.size).padEnd(7)} ${String(Math.round(rate(f))).padStart(6)}   ${f.batchMsP50.toFixed(1).padStart(12)}   ${per1k(f.nodeCpuMs, f).padStart(22)}   ${per1k(f.backendCpuMs, f).padStart(21)}   ${per1k(f.postgresCpuMs, f).padStart(22)}`,
    );
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { child: { type: 'string' }, sizes: { type: 'string' }, tag: { type: 'string' }, schema: { type: 'string' }, key: { type: 'string' } },
});
const seconds = Number(positionals[0] ?? 3);
const sizes = values.sizes?.split(',').map(Number) ?? SIZES;
if (values.child !== undefined) {
  await child(values.child, sizes, seconds, values.tag ?? 'b', values.schema ?? '', Buffer.from(values.key ?? '', 'base64'));
} else {
  const schema = freshSchemaName();
  // One master key for every child: the two-node row shares the schema, so its data keys too.
  const key = randomBytes(32).toString('base64');
  const server = new pg.Client({ connectionString: POSTGRES_URL });
  await server.connect();
  const version = (await server.query('SHOW server_version')).rows[0].server_version as string;
  const sync = (await server.query('SHOW synchronous_commit')).rows[0].synchronous_commit as string;
  await server.end();
  try {
    console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, load average ${loadavg()[0]!.toFixed(1)}`);
    console.log(`PostgreSQL ${version} at ${POSTGRES_URL}, synchronous_commit=${sync}; content sealed at rest (AES-256-GCM), chat text of 10-250 bytes`);
    const pgFigures = await run('postgres', sizes, seconds, 'g', schema, key);
    table('PostgreSQL commitSends, one batch in flight, each batch one message in each of <batch> 1:1 conversations:', pgFigures);
    const two = await Promise.all([run('postgres', [500], seconds, 'x', schema, key), run('postgres', [500], seconds, 'y', schema, key)]);
    console.log(`2 nodes at once (2 processes, batches of 500, disjoint conversations): ${Math.round(two.flat().reduce((s, f) => s + rate(f), 0))} msgs/s in total`);
    const normal = await run('sqlite-normal', sizes, seconds, 's', '', key);
    table('SQLite commitSends (embedded default, synchronous=normal), same workload:', normal);
    const full = await run('sqlite-full', sizes, seconds, 'f', '', key);
    table('SQLite commitSends, synchronous=full (fsync per commit), same workload:', full);
    const at = (fs: readonly Figure[], size: number): number => rate(fs.find((f) => f.size === size) ?? fs[fs.length - 1]!);
    const one = at(pgFigures, 1);
    const best = pgFigures.reduce((b, f) => (rate(f) > rate(b) ? f : b));
    console.log(
      `PostgreSQL group commit vs per-message commit: ${(rate(best) / one).toFixed(1)}x (batches of ${best.size} vs 1); ` +
        `vs SQLite at the same batch size: ${(rate(best) / at(normal, best.size)).toFixed(2)}x of normal, ${(rate(best) / at(full, best.size)).toFixed(2)}x of full; ` +
        `load average ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await dropSchema(schema);
  }
}
