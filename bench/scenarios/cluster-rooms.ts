// The chatroom part of `npm run bench -- cluster`: one room, its members
// spread over 1, 2 and 3 cluster nodes (member i on node i mod n; the room
// owned by node 1, the publisher on node (members mod n)) and on one embedded
// node, at fixed offered rates. Each entry crosses NATS once per node with
// members; every node writes it to its own members.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tail } from '../lib/child.ts';
import { sampleProc } from '../lib/proc-stats.ts';
import { markdownTable } from '../lib/results-md.ts';
import { readRuntime } from '../lib/tidings-server.ts';
import type { RoomGenResult } from '../load/room-gen.ts';
import { api } from './chatroom.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the room steps need of a started setup. */
export interface RoomNodes {
  readonly pids: number[];
  readonly urls: string[];
  readonly runtimeFile: string;
  stop(): Promise<void>;
}

/** One room step's outcome. */
export interface RoomStep {
  readonly setup: string;
  readonly nodes: number;
  readonly rate: number;
  readonly gen: RoomGenResult;
  /** Tidings processes' CPU over the window, ms. */
  readonly nodeCpuMs: number;
  readonly windowMs: number;
}

/** Runs the room generator against fresh nodes from `start` at `rate` messages/s. */
export async function roomStep(setup: string, start: () => Promise<RoomNodes>, rate: number, o: { members: number; durationMs: number }): Promise<RoomStep> {
  const nodes = await start();
  try {
    const rt = readRuntime(nodes.runtimeFile);
    // Measure fan-out, not the shedding policy; the room is created through node 1, which owns it.
    await api(rt, 'PUT', '/v1/chatrooms/policy', { ratePerSecond: 0, joinRecent: 0 });
    await api(rt, 'POST', '/v1/chatrooms', { roomId: 'bench' });
    const args = ['--target', 'tidings-room', '--url', nodes.urls.join(','), '--members', String(o.members), '--rate', String(rate), '--duration', String(o.durationMs), '--app', rt.devApp.appKey, `--token-key=${rt.devApp.tokenKey}`, '--max-lag-ms', '50'];
    const gen = spawn(process.execPath, [join(ROOT, 'bench/load/room-gen.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = tail(gen.stderr);
    const cpu = (): number => nodes.pids.reduce((sum, pid) => sum + sampleProc(pid).cpuMs, 0);
    let [c0, c1, w0, w1] = [0, 0, 0, 0];
    let result: RoomGenResult | undefined;
    createInterface({ input: gen.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as { type: string };
      if (e.type === 'window-start') [c0, w0] = [cpu(), performance.now()];
      else if (e.type === 'window-end') [c1, w1] = [cpu(), performance.now()];
      else if (e.type === 'result') result = e as RoomGenResult;
    });
    const code = await new Promise<number | null>((resolve) => gen.once('exit', resolve));
    if (code !== 0 || !result) throw new Error(`room generator failed (exit ${code}): ${stderr()}`);
    return { setup, nodes: nodes.pids.length, rate, gen: result, nodeCpuMs: c1 - c0, windowMs: w1 - w0 };
  } finally {
    await nodes.stop();
  }
}

/** Every delivery made, no errors, p99 under 250 ms. */
export const roomSustained = (st: RoomStep): boolean => st.gen.errors === 0 && st.gen.deliveries >= st.gen.expected * 0.99 && st.gen.latency.p99 < 250;

/** The markdown of the room steps. */
export function renderRooms(steps: readonly RoomStep[], o: { members: number; durationMs: number }): string {
  const rows = steps.map((st) => [
    st.setup,
    String(st.rate),
    `${st.gen.deliveries} / ${st.gen.expected}`,
    String(Math.round(st.gen.deliveriesPerSec)),
    `${st.gen.latency.p50.toFixed(1)} / ${st.gen.latency.p99.toFixed(1)}`,
    `${((st.nodeCpuMs / Math.max(1, st.windowMs)) * 100).toFixed(0)}%`,
    st.gen.deliveries ? ((st.nodeCpuMs / st.gen.deliveries) * 1000).toFixed(1) : '-',
    roomSustained(st) ? 'yes' : 'no',
    st.gen.valid ? 'valid' : `INVALID: ${st.gen.invalidReasons.join('; ')}`,
  ]);
  const best = new Map<string, number>();
  for (const st of steps) if (roomSustained(st)) best.set(st.setup, Math.max(best.get(st.setup) ?? 0, st.rate * o.members));
  return [
    `Chatroom: one room of ${o.members} members plus a publisher (the chatroom generator, open loop), ${o.durationMs / 1000} s measured per step, fresh nodes per step. With n nodes member i connects to node i mod n; the room is created through node 1 (its owner); each entry crosses NATS once per node with members and each node writes it to its own members. Node CPU: all Tidings processes together (100% = one core).`,
    '',
    markdownTable(['setup', 'msgs/s', 'delivered / expected', 'deliveries/s', 'latency p50 / p99 ms', 'node CPU', 'node CPU-ms / 1k deliveries', 'sustained', 'verdict'], rows),
    '',
    'Highest sustained deliveries/s: ' + [...new Set(steps.map((s) => s.setup))].map((n) => `${n}: ${best.get(n) ?? 'none'}`).join('; ') + '.',
  ].join('\n');
}
