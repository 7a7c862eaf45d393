import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startWsBaseline } from '../lib/baseline-server.ts';
import { stopChild, tail } from '../lib/child.ts';
import { readJsonLines } from '../lib/json-lines.ts';
import { machineBusyMs, sampleProc } from '../lib/proc-stats.ts';
import { startSampler, type Sample } from '../lib/sampler.ts';
import type { ServerHandle } from '../lib/server-handle.ts';
import { startTidings } from '../lib/tidings-server.ts';
import type { StormEvent, StormGenResult } from './storm-gen.ts';
import type { PreparedStorm, StormShape } from './storm-prep.ts';

/** The generator counts as saturated above this fraction of one core. */
export const MAX_GEN_CPU = 0.9;

/** A trial is noisy when the rest of the machine used more than this fraction of a core (2 cores in all). */
export const MAX_OTHER_CPU = 0.25;

/** One storm trial: its generator result and what the server spent. */
export interface StormTrial extends Omit<StormGenResult, 'type'> {
  readonly target: 'tidings' | 'ws';
  readonly serverCpuMs: number;
  readonly rssBeforeMiB: number;
  /** VmHWM of the server process (its whole life, the storm included). */
  readonly peakRssMiB: number;
  /** Per-second server CPU (fraction of a core) and RSS during the storm. */
  readonly series: readonly Sample[];
  /** Machine busy time outside server and generator during the storm, fraction of one core. */
  readonly otherCpu: number;
  /** Every client synced exactly its messages, in order, and the generator had CPU to spare. */
  readonly valid: boolean;
  readonly invalidReasons: readonly string[];
  /** Other work on the machine used more than {@link MAX_OTHER_CPU} of a core: the timing says more about the machine than the server. */
  readonly noisy: boolean;
}

/**
 * Starts a fresh server on the prepared data (or a ws baseline), lets every client reconnect at once, stops it.
 * `serverNodeFlags` go to the Tidings server process (such as `--cpu-prof`).
 */
export async function runStormTrial(
  root: string,
  target: 'tidings' | 'ws',
  shape: StormShape,
  prepared: PreparedStorm | undefined,
  serverNodeFlags: readonly string[] = [],
): Promise<StormTrial> {
  const server: ServerHandle =
    target === 'tidings' ? await startTidings({ root, dataDir: prepared!.dataDir, nodeFlags: serverNodeFlags }) : await startWsBaseline(root);
  try {
    const args = [
      join(root, 'bench/load/storm-gen.ts'),
      ...['--target', target, '--url', server.wsUrl, '--clients', String(shape.clients), '--convs', String(shape.convs), '--per-conv', String(shape.perConv)],
      ...(server.runtimeFile ? ['--runtime', server.runtimeFile] : []),
    ];
    const gen = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = tail(gen.stderr);
    let result: StormGenResult | undefined;
    let ready = false;
    readJsonLines<StormEvent>(gen.stdout!, (e) => {
      if (e.type === 'ready') ready = true;
      else result = e;
    });
    const limit = setTimeout(() => gen.kill('SIGKILL'), 240_000);
    try {
      while (!ready) {
        if (gen.exitCode !== null) throw new Error(`storm-gen exited with ${gen.exitCode}: ${stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const before = sampleProc(server.pid);
      const busy0 = machineBusyMs();
      const gen0 = sampleProc(gen.pid!);
      const sampler = startSampler(server.pid);
      const t0 = performance.now();
      gen.stdin!.write('go\n');
      while (!result) {
        if (gen.exitCode !== null) throw new Error(`storm-gen exited with ${gen.exitCode}: ${stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const elapsed = performance.now() - t0;
      const series = sampler.stop();
      const after = sampleProc(server.pid);
      const gen1 = sampleProc(gen.pid!);
      const busy1 = machineBusyMs();
      const serverCpuMs = after.cpuMs - before.cpuMs;
      const otherCpu = Math.max(0, (busy1 - busy0 - serverCpuMs - (gen1.cpuMs - gen0.cpuMs)) / elapsed);
      const r = result;
      const reasons: string[] = [];
      if (r.synced !== r.clients) reasons.push(`${r.clients - r.synced} clients did not sync everything`);
      if (r.lost || r.duplicates || r.outOfOrder || r.wrongContent) reasons.push(`lost ${r.lost}, duplicates ${r.duplicates}, out of order ${r.outOfOrder}, wrong content ${r.wrongContent}`);
      if (r.genCpu > MAX_GEN_CPU) reasons.push(`generator CPU-saturated: ${(r.genCpu * 100).toFixed(0)}% of one core > ${MAX_GEN_CPU * 100}%`);
      const { type: _type, ...rest } = r;
      return {
        ...rest, target, serverCpuMs, rssBeforeMiB: before.rssBytes / 1024 ** 2, peakRssMiB: after.peakRssBytes / 1024 ** 2, series, otherCpu,
        valid: reasons.length === 0, invalidReasons: reasons, noisy: otherCpu > MAX_OTHER_CPU,
      };
    } finally {
      clearTimeout(limit);
      await stopChild(gen, 5000);
    }
  } finally {
    await server.stop();
  }
}
