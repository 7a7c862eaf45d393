import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bus/nats/nats.fixture.ts';

const run = promisify(execFile);

/**
 * A private PostgreSQL server for fault tests that must really stop the
 * database (`pg_ctl stop -m immediate`: every backend killed, no checkpoint,
 * crash recovery on the next start) without touching the shared one.
 * It uses the machine's own PostgreSQL binaries; when the tests run as root
 * the server runs as the `postgres` user (PostgreSQL refuses root).
 */
export interface PrivatePostgres {
  /** Connection URL of the private server's `postgres` database. */
  readonly url: string;
  /** Stops it the way a crash would: `pg_ctl stop -m immediate`. */
  stopImmediate(): Promise<void>;
  /** Starts it again on the same port and data directory (crash recovery runs). */
  start(): Promise<void>;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory (`TIDINGS_PG_BINDIR` overrides). */
function binDir(): string {
  const fromEnv = process.env.TIDINGS_PG_BINDIR;
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${base} (set TIDINGS_PG_BINDIR to the directory holding pg_ctl and initdb)`);
  return join(base, versions[0], 'bin');
}

/** Creates, starts and returns a private PostgreSQL server on a free loopback port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'tidings-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number((await run('id', ['-u', 'postgres'])).stdout.trim()) : undefined;
  const gid = asRoot ? Number((await run('id', ['-g', 'postgres'])).stdout.trim()) : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const pgRun = async (tool: string, args: string[]): Promise<void> => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    try {
      await run(cmd, argv, { timeout: 60_000 });
    } catch (cause) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${tool} ${args.join(' ')} failed: ${String(cause)}\n${tail}`, { cause });
    }
  };
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on`;
  const start = (): Promise<void> => pgRun('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
  const stopImmediate = (): Promise<void> => pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stopImmediate() {
      await stopImmediate();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stopImmediate().catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
