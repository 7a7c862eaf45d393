import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startWsBaseline } from '../lib/baseline-server.ts';
import { stopChild, tail } from '../lib/child.ts';
import { readJsonLines } from '../lib/json-lines.ts';
import { machineBusyMs, sampleProc, type ProcSample } from '../lib/proc-stats.ts';
import type { ServerHandle } from '../lib/server-handle.ts';
import { startTidings } from '../lib/tidings-server.ts';
import type { GenEvent, GenResult } from './gen-result.ts';

/** A step is invalid when the rest of the machine used more than this fraction of a core. */
export const MAX_OTHER_CPU = 0.25;

/** One load step: a fresh server, one generator run at one offered rate. */
export interface StepOptions {
  readonly root: string;
  readonly target: 'tidings' | 'ws';
  readonly rate: number;
  readonly pairs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly drainMs: number;
  /** Extra node flags for the server process (e.g. `--cpu-prof`). */
  readonly serverNodeFlags?: readonly string[];
  /** Tidings only: the generator speaks the secure session (the server must allow the other mode when false). */
  readonly secure?: boolean;
}

/** A step's generator result plus what the server process spent. */
export interface StepResult extends GenResult {
  /** Server utime+stime over the measured window. */
  readonly serverCpuMs: number;
  /** Server CPU-ms per 1,000 messages offered in the window. */
  readonly cpuMsPer1k: number;
  /** Server CPU over the window as a fraction of one core. */
  readonly serverCpu: number;
  readonly peakRssMiB: number;
  /**
   * CPU used over the window by everything on the machine other than the
   * server and the generator, as a fraction of one core: noise from other work.
   */
  readonly otherCpu: number;
}

/** Server options; a secure step asks the server to allow secure sessions (benchmark servers default to plaintext only). */
function serverOptions(o: StepOptions): Parameters<typeof startTidings>[0] {
  const opts = { root: o.root, nodeFlags: o.serverNodeFlags ?? [], env: { TIDINGS_SECURE_SESSION: 'optional' } };
  return opts;
}

/** Starts the server, runs the generator against it, samples /proc around the window, stops the server. */
export async function runStep(o: StepOptions): Promise<StepResult> {
  const server: ServerHandle =
    o.target === 'tidings' ? await startTidings(serverOptions(o)) : await startWsBaseline(o.root);
  try {
    const args = [
      join(o.root, 'bench/load/one-to-one-gen.ts'),
      ...['--target', o.target, '--url', server.wsUrl, '--pairs', String(o.pairs), '--rate', String(o.rate)],
      ...['--warmup-ms', String(o.warmupMs), '--duration-ms', String(o.durationMs), '--drain-ms', String(o.drainMs)],
      ...(server.runtimeFile ? ['--runtime', server.runtimeFile] : []),
      ...(o.secure ? ['--secure'] : []),
    ];
    const gen = spawn(process.execPath, args, { cwd: o.root, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = tail(gen.stderr);
    let before: ProcSample | undefined;
    let after: ProcSample | undefined;
    let result: GenResult | undefined;
    let busy0 = 0;
    let busy1 = 0;
    readJsonLines<GenEvent>(gen.stdout!, (e) => {
      if (e.type === 'window-start') {
        before = sampleProc(server.pid);
        busy0 = machineBusyMs();
      } else if (e.type === 'window-end') {
        after = sampleProc(server.pid);
        busy1 = machineBusyMs();
      }
      else if (e.type === 'result') result = e;
    });
    const limit = setTimeout(() => gen.kill('SIGKILL'), o.warmupMs + o.durationMs + o.drainMs + 60_000);
    const code = await new Promise<number | null>((resolve) => gen.once('exit', (c) => resolve(c)));
    clearTimeout(limit);
    await stopChild(gen);
    if (code !== 0 || !result || !before || !after) throw new Error(`generator failed (exit ${code}): ${stderr()}`);
    const serverCpuMs = after.cpuMs - before.cpuMs;
    const end = sampleProc(server.pid);
    const otherCpu = Math.max(0, busy1 - busy0 - serverCpuMs - result.genCpu * o.durationMs) / o.durationMs;
    // Two cores: anything else busy competes with the server or the generator, so the numbers are not clean.
    const noisy = otherCpu > MAX_OTHER_CPU ? [`machine busy: other processes used ${(otherCpu * 100).toFixed(0)}% of a core`] : [];
    return {
      ...result,
      valid: result.valid && noisy.length === 0,
      invalidReasons: [...result.invalidReasons, ...noisy],
      serverCpuMs,
      cpuMsPer1k: result.window.sent === 0 ? 0 : (serverCpuMs / result.window.sent) * 1000,
      serverCpu: serverCpuMs / o.durationMs,
      peakRssMiB: end.peakRssBytes / 1024 ** 2,
      otherCpu,
    };
  } finally {
    await server.stop();
  }
}
