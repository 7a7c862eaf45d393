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
}

/** Reads a runtime.json file. */
export function readRuntime(file: string): TidingsRuntime {
  return JSON.parse(readFileSync(file, 'utf8')) as TidingsRuntime;
}

/**
 * Starts `tidings start --port 0` on a fresh temporary data directory as a
 * child process and waits for its `runtime.json`.
 */
export async function startTidings(o: StartTidingsOptions): Promise<ServerHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  const args = [...(o.nodeFlags ?? []), 'packages/cli/src/main.ts', 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { cwd: o.root, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tail(child.stderr);
  const runtimeFile = join(dataDir, 'runtime.json');
  const cleanup = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
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
