import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopChild, tail } from '../lib/child.ts';
import { GC_PROBE_FLAGS, gcAndMeasure } from '../lib/gc-read.ts';
import type { LatencySummary } from '../lib/histogram.ts';
import { readJsonLines } from '../lib/json-lines.ts';
import { startTarget } from '../lib/peer-servers.ts';
import { machineBusyMs, sampleProc } from '../lib/proc-stats.ts';
import type { ServerHandle, Target } from '../lib/server-handle.ts';
import type { HoldEvent } from './hold-gen.ts';
import { createIdleGroups } from './idle-groups.ts';
import { readRuntime } from '../lib/tidings-server.ts';

/** One idle-capacity trial: a fresh server, `count` idle connections from one generator process. */
export interface IdleTrialOptions {
  readonly root: string;
  readonly target: Target;
  readonly count: number;
  /** Pause after the last connection before measuring. */
  readonly settleMs: number;
  /** Window over which idle CPU is measured. */
  readonly idleMs: number;
  readonly inFlight: number;
  /** Tidings only: groups each user is a member of (created through the server API before measuring). */
  readonly groups: number;
}

/** What one trial measured. */
export interface IdleTrial {
  readonly target: Target;
  readonly count: number;
  /** Groups each Tidings user belongs to (0 for peers). */
  readonly groups: number;
  /** Time to create those memberships, ms. */
  readonly groupSetupMs?: number;
  readonly connected: number;
  readonly failed: number;
  readonly firstError?: string;
  /** Connections that closed on their own while held (must be 0). */
  readonly dropped: number;
  /** Time to open every connection, ms. */
  readonly connectAllMs: number;
  readonly connect: LatencySummary;
  /** RSS of the server before any connection and with all of them, after a full GC for Node servers. */
  readonly rssBaseMiB: number;
  readonly rssMiB: number;
  /** (RSS with - RSS without) / connections. */
  readonly rssPerConnKB: number;
  /** Node servers only: JS heap used / external memory per connection, after GC. */
  readonly heapPerConnKB?: number;
  readonly externalPerConnKB?: number;
  readonly heapBaseMiB?: number;
  readonly heapMiB?: number;
  /** Server CPU while idle, fraction of one core. */
  readonly idleCpu: number;
  /** Generator CPU while connecting (fraction of one core) and its RSS holding everything. */
  readonly genConnectCpu: number;
  readonly genRssMiB: number;
  /** Generator CPU while idle and the rest of the machine over the idle window, fractions of one core. */
  readonly genIdleCpu: number;
  readonly otherCpu: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isNode = (t: Target): boolean => t === 'tidings' || t === 'ws' || t === 'socketio';

async function memory(server: ServerHandle): Promise<{ rss: number; heap?: number; external?: number }> {
  if (!isNode(server.target)) return { rss: sampleProc(server.pid).rssBytes };
  const m = await gcAndMeasure(server.pid);
  await sleep(200);
  // RSS from /proc after the GC (the probe's own figure was taken in the same turn as the GC).
  return { rss: sampleProc(server.pid).rssBytes, heap: m.heapUsed, external: m.external };
}

/** Runs one trial and stops everything it started. */
export async function runIdleTrial(o: IdleTrialOptions): Promise<IdleTrial> {
  const server = await startTarget(o.target, { root: o.root, nodeFlags: isNode(o.target) ? GC_PROBE_FLAGS : [] });
  try {
    await sleep(500);
    let groupSetupMs: number | undefined;
    if (o.groups > 0 && o.target === 'tidings') {
      const t = performance.now();
      await createIdleGroups(readRuntime(server.runtimeFile!), 'u', o.count, o.groups);
      groupSetupMs = Math.round(performance.now() - t);
    }
    const base = await memory(server);
    const args = [
      join(o.root, 'bench/load/hold-gen.ts'),
      ...['--target', o.target, '--url', server.wsUrl, '--count', String(o.count), '--in-flight', String(o.inFlight)],
      ...(server.runtimeFile ? ['--runtime', server.runtimeFile] : []),
    ];
    const gen = spawn(process.execPath, args, { cwd: o.root, stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = tail(gen.stderr);
    const events: HoldEvent[] = [];
    readJsonLines<HoldEvent>(gen.stdout!, (e) => events.push(e));
    const limit = setTimeout(() => gen.kill('SIGKILL'), 180_000);
    try {
      const wait = async <K extends HoldEvent['type']>(type: K): Promise<Extract<HoldEvent, { type: K }>> => {
        for (;;) {
          const e = events.find((x) => x.type === type);
          if (e) return e as Extract<HoldEvent, { type: K }>;
          if (gen.exitCode !== null) throw new Error(`hold-gen exited with ${gen.exitCode}: ${stderr()}`);
          await sleep(50);
        }
      };
      const c = await wait('connected');
      await sleep(o.settleMs);
      const withConns = await memory(server);
      const s0 = sampleProc(server.pid);
      const g0 = sampleProc(gen.pid!);
      const b0 = machineBusyMs();
      const t0 = performance.now();
      await sleep(o.idleMs);
      const elapsed = performance.now() - t0;
      const s1 = sampleProc(server.pid);
      const g1 = sampleProc(gen.pid!);
      const b1 = machineBusyMs();
      gen.stdin!.write('close\n');
      const closed = await wait('closed');
      const idleCpu = (s1.cpuMs - s0.cpuMs) / elapsed;
      const genIdleCpu = (g1.cpuMs - g0.cpuMs) / elapsed;
      const n = Math.max(1, c.count);
      const perConn = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : (b - a) / n / 1024);
      const heapPer = perConn(base.heap, withConns.heap);
      const extPer = perConn(base.external, withConns.external);
      return {
        target: o.target,
        count: o.count,
        groups: o.target === 'tidings' ? o.groups : 0,
        ...(groupSetupMs !== undefined ? { groupSetupMs } : {}),
        connected: c.count,
        failed: c.failed,
        ...(c.firstError ? { firstError: c.firstError } : {}),
        dropped: closed.dropped,
        connectAllMs: Math.round(c.ms),
        connect: c.connect,
        rssBaseMiB: base.rss / 1024 ** 2,
        rssMiB: withConns.rss / 1024 ** 2,
        rssPerConnKB: (withConns.rss - base.rss) / n / 1024,
        ...(heapPer !== undefined ? { heapPerConnKB: heapPer, heapBaseMiB: base.heap! / 1024 ** 2, heapMiB: withConns.heap! / 1024 ** 2 } : {}),
        ...(extPer !== undefined ? { externalPerConnKB: extPer } : {}),
        idleCpu,
        genConnectCpu: c.genCpu,
        genRssMiB: c.genRssMiB,
        genIdleCpu,
        otherCpu: Math.max(0, (b1 - b0 - (s1.cpuMs - s0.cpuMs) - (g1.cpuMs - g0.cpuMs)) / elapsed),
      };
    } finally {
      clearTimeout(limit);
      await stopChild(gen, 5000);
    }
  } finally {
    await server.stop();
  }
}
