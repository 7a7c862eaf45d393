import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil, stopChild, tail } from './child.ts';
import type { ServerHandle } from './server-handle.ts';

/** What `<dataDir>/runtime.json` of a running node holds (the part benchmarks use). */
export interface TidingsRuntime {
  readonly pid: number;
  readonly port: number;
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly devApp: { readonly appKey: string; readonly appSecret: string; readonly tokenKey: string };
}

/** Options of {@link startTidings}. */
export interface StartTidingsOptions {
  /** Repository root (where `packages/cli/src/main.ts` lives). */
  readonly root: string;
  /** Extra node flags for the server, such as `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  readonly startTimeoutMs?: number;
  /** Data directory to use and keep (a prepared database); a fresh temporary one, removed on stop, when omitted. */
  readonly dataDir?: string;
  /** Extra `tidings start` flags. */
  readonly args?: readonly string[];
  /** Extra environment for the server (`TIDINGS_*` settings); see {@link BENCH_ENV}. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Settings every benchmark server runs with unless overridden: plaintext
 * sessions, because the load generators speak the plain `tidings.v1`
 * subprotocol (they do not implement the secure-session handshake), so the
 * figures leave out its key agreement and per-frame encryption (the
 * `secure` scenario measures that); and the abuse limits off, because a load
 * generator is one client from a few addresses doing the work of thousands
 * (with them on, the connect limit per IP refuses a 10,000-socket room).
 */
export const BENCH_ENV: Readonly<Record<string, string>> = {
  TIDINGS_SECURE_SESSION: 'off',
  TIDINGS_RATE_CONNECTS_PER_IP: '0',
  TIDINGS_RATE_MESSAGES_PER_CONNECTION: '0',
  TIDINGS_RATE_MESSAGES_PER_USER: '0',
  TIDINGS_RATE_REQUESTS_PER_CONNECTION: '0',
  TIDINGS_RATE_API_CALLS_PER_APP: '0',
  TIDINGS_MAX_CONNECTIONS_PER_USER: '0',
};

/** Reads a runtime.json file. */
export function readRuntime(file: string): TidingsRuntime {
  return JSON.parse(readFileSync(file, 'utf8')) as TidingsRuntime;
}

/**
 * Starts `tidings start --port 0` on a fresh temporary data directory as a
 * child process and waits for its `runtime.json`.
 */
export async function startTidings(o: StartTidingsOptions): Promise<ServerHandle> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  // BENCH_CPU_PROF_DIR: the server writes a V8 CPU profile there when it stops (as the cluster scenario's nodes do).
  const prof = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : [];
  const args = [...prof, ...(o.nodeFlags ?? []), 'packages/cli/src/main.ts', 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...(o.args ?? [])];
  const env = { ...process.env, ...BENCH_ENV, ...(o.env ?? {}) };
  const child = spawn(process.execPath, args, { cwd: o.root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tail(child.stderr);
  const runtimeFile = join(dataDir, 'runtime.json');
  rmSync(runtimeFile, { force: true });
  const cleanup = async (): Promise<void> => {
    await stopChild(child);
    if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const info = await pollUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`tidings exited with ${child.exitCode}: ${stderr()}`);
        return existsSync(runtimeFile) ? readRuntime(runtimeFile) : undefined;
      },
      o.startTimeoutMs ?? 20_000,
      'tidings runtime.json',
    );
    if (info.pid !== child.pid) throw new Error(`runtime.json names pid ${info.pid}, expected ${child.pid}`);
    return { target: 'tidings', pid: info.pid, wsUrl: info.wsUrl, runtimeFile, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
