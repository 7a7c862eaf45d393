import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopChild, tail } from '../lib/child.ts';
import { startTarget } from '../lib/peer-servers.ts';
import { machineBusyMs, sampleProc } from '../lib/proc-stats.ts';
import type { FanoutTarget } from './fanout-clients.ts';
import type { FanoutGenResult } from './fanout-gen.ts';

/** One fan-out trial: a fresh peer server, one generator run. */
export interface FanoutTrial extends Omit<FanoutGenResult, 'type'> {
  /** Server CPU over the whole generator run (connect, warm-up, window, drain), fraction of a core over the run. */
  readonly serverCpu: number;
  /** Server CPU-ms per 1,000 deliveries (whole run). */
  readonly serverCpuMsPer1k: number;
  readonly peakRssMiB: number;
  readonly otherCpu: number;
}

/** Runs one trial against `target` and stops everything it started. */
export async function runFanoutTrial(root: string, target: FanoutTarget, subs: number, rate: number, durationMs: number, warmupMs: number): Promise<FanoutTrial> {
  const server = await startTarget(target, { root, wsFanout: true });
  try {
    const args = [
      join(root, 'bench/load/fanout-gen.ts'),
      ...['--target', target, '--url', server.wsUrl, '--subs', String(subs), '--rate', String(rate)],
      ...['--duration-ms', String(durationMs), '--warmup-ms', String(warmupMs)],
    ];
    const s0 = sampleProc(server.pid);
    const b0 = machineBusyMs();
    const t0 = performance.now();
    const gen = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = tail(gen.stderr);
    let out = '';
    gen.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const limit = setTimeout(() => gen.kill('SIGKILL'), durationMs + warmupMs + 90_000);
    const code = await new Promise<number | null>((r) => gen.once('exit', (c) => r(c)));
    clearTimeout(limit);
    await stopChild(gen);
    const line = out.split('\n').find((l) => l.startsWith('{"type":"result"'));
    if (code !== 0 || !line) throw new Error(`fanout-gen failed (exit ${code}): ${stderr()}`);
    const elapsed = performance.now() - t0;
    const s1 = sampleProc(server.pid);
    const b1 = machineBusyMs();
    const { type: _t, ...r } = JSON.parse(line) as FanoutGenResult;
    const serverMs = s1.cpuMs - s0.cpuMs;
    // The generator's CPU over the run is not known here; its window share (genCpu) stands in for the whole run.
    const otherCpu = Math.max(0, (b1 - b0 - serverMs - r.genCpu * elapsed) / elapsed);
    const totalDeliveries = ((warmupMs + durationMs) * rate * subs) / 1000;
    return { ...r, serverCpu: serverMs / elapsed, serverCpuMsPer1k: (serverMs / totalDeliveries) * 1000, peakRssMiB: s1.peakRssBytes / 1024 ** 2, otherCpu };
  } finally {
    await server.stop();
  }
}
