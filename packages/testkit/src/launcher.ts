/**
 * Starts the real Tidings server as a child process for integration and
 * fault tests, and kills, stops and restarts it on the same data dir and
 * port. Readiness contract: once listening, the server writes
 * `<dataDir>/runtime.json` = `{ pid, port, wsUrl, httpUrl, nodeId, devApp, serverKey }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTail, type Tail } from './output-tail.ts';

/** The development app the server provisions for tests. */
export interface DevApp {
  readonly appKey: string;
  readonly appSecret: string;
  readonly tokenKey: string;
}

/** Contents of `<dataDir>/runtime.json`. */
export interface RuntimeInfo {
  readonly pid: number;
  readonly port: number;
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly nodeId: string;
  readonly devApp: DevApp;
  /** The node's long-term public key (base64url), which SDK clients pin. */
  readonly serverKey: string;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Data directory; a fresh temp dir (removed by `cleanup()`) when absent. */
  readonly dataDir?: string;
  /** Extra environment, over the test process's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra CLI arguments after the standard ones. */
  readonly args?: readonly string[];
  /** Port to listen on; 0 (any) by default. */
  readonly port?: number;
  /** How long to wait for runtime.json; default 20 s. */
  readonly timeoutMs?: number;
  /** Script to run instead of the CLI: only for the launcher's own tests. */
  readonly entry?: string;
}

/** A running (or stopped) server. Fields follow the current process across restarts. */
export interface ServerHandle {
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly nodeId: string;
  readonly devApp: DevApp;
  /** The node's long-term public key (base64url), which SDK clients pin; kept across restarts (it lives in the data dir). */
  readonly serverKey: string;
  readonly dataDir: string;
  /** True while the current process has not exited. */
  readonly running: boolean;
  /** The last few KB of the server's stdout and stderr. */
  output(): string;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then waits for a graceful exit; throws (after SIGKILL) if it takes longer than `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** Stops the server if running, then starts it on the same data dir and, if free, the same port. */
  restart(): Promise<ServerHandle>;
  /** Kills the server if needed and removes the data dir if the launcher created it. */
  cleanup(): Promise<void>;
}

/** The server did not become ready, or did not stop in time. */
export class LauncherError extends Error {
  override readonly name = 'LauncherError';
}

/** Repository root, found from this file: packages/testkit/src -> root. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CLI_MAIN = join(REPO_ROOT, 'packages', 'cli', 'src', 'main.ts');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  // A test runner that dies must not leave servers behind.
  for (const c of live) c.kill('SIGKILL');
});

/** Creates an empty temp dir under the OS temp dir. */
export function makeTempDir(prefix = 'tidings-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

async function readRuntime(file: string): Promise<RuntimeInfo | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const info = JSON.parse(text) as Partial<RuntimeInfo>;
    if (typeof info.pid === 'number' && typeof info.port === 'number' && typeof info.wsUrl === 'string') {
      return info as RuntimeInfo;
    }
  } catch {
    // Half-written file: read again on the next poll.
  }
  return undefined;
}

interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly info: RuntimeInfo;
}

async function spawnOnce(
  opts: StartServerOptions,
  dataDir: string,
  port: number,
  tail: Tail,
  stalePid?: number,
): Promise<Spawned> {
  const file = join(dataDir, 'runtime.json');
  await rm(file, { force: true });
  const args = [opts.entry ?? CLI_MAIN, 'start', '--port', String(port), '--data-dir', dataDir, ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stdout?.on('data', (d: Buffer) => tail.push(d));
  child.stderr?.on('data', (d: Buffer) => tail.push(d));
  let exitStatus: string | undefined;
  const exited = new Promise<void>((done) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      live.delete(child);
      done();
    });
    child.once('error', (err) => {
      exitStatus = `spawn error: ${err.message}`;
      live.delete(child);
      done();
    });
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const info = await readRuntime(file);
    if (info && info.pid !== stalePid) return { child, exited, info };
    if (exitStatus !== undefined) {
      throw new LauncherError(`server exited before it was ready (${exitStatus})\n--- output ---\n${tail.text()}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new LauncherError(
        `server not ready after ${opts.timeoutMs ?? 20_000} ms (no ${file})\n--- output ---\n${tail.text()}`,
      );
    }
    await sleep(20);
  }
}

/**
 * Starts the Tidings server and waits until it listens.
 *
 * @example
 * ```ts
 * const server = await startServer();
 * t.after(() => server.cleanup());
 * const ws = new WebSocket(server.wsUrl, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]);
 * await server.kill();      // kill -9
 * await server.restart();   // same data dir, same port
 * ```
 */
export async function startServer(opts: StartServerOptions = {}): Promise<ServerHandle> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await makeTempDir());
  const tail = createTail(16 * 1024);
  let current: Spawned;
  try {
    current = await spawnOnce(opts, dataDir, opts.port ?? 0, tail);
  } catch (err) {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let running = true;
  const track = (s: Spawned): void => {
    void s.exited.then(() => {
      if (current === s) running = false;
    });
  };
  track(current);

  const handle: ServerHandle = {
    get wsUrl() {
      return current.info.wsUrl;
    },
    get httpUrl() {
      return current.info.httpUrl;
    },
    get port() {
      return current.info.port;
    },
    get pid() {
      return current.info.pid;
    },
    get nodeId() {
      return current.info.nodeId;
    },
    get devApp() {
      return current.info.devApp;
    },
    get serverKey() {
      return current.info.serverKey;
    },
    dataDir,
    get running() {
      return running;
    },
    output: () => tail.text(),
    async kill(signal = 'SIGKILL') {
      if (!running) return;
      current.child.kill(signal);
      await current.exited;
    },
    async stop(timeoutMs = 10_000) {
      if (!running) return;
      current.child.kill('SIGTERM');
      const timer = sleep(timeoutMs, 'timeout' as const);
      if ((await Promise.race([current.exited.then(() => 'exited' as const), timer])) === 'timeout') {
        current.child.kill('SIGKILL');
        await current.exited;
        throw new LauncherError(
          `server did not exit within ${timeoutMs} ms of SIGTERM\n--- output ---\n${tail.text()}`,
        );
      }
    },
    async restart() {
      await handle.stop();
      const previous = current.info;
      tail.push(Buffer.from(`\n--- restart (was pid ${previous.pid}, port ${previous.port}) ---\n`));
      let next: Spawned;
      try {
        next = await spawnOnce(opts, dataDir, previous.port, tail, previous.pid);
      } catch {
        // The port may have been taken meanwhile: any port beats no server.
        next = await spawnOnce(opts, dataDir, 0, tail, previous.pid);
      }
      current = next;
      running = true;
      track(next);
      return handle;
    },
    async cleanup() {
      await handle.kill('SIGKILL');
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
