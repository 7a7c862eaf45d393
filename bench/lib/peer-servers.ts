import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pollUntil, stopChild, tail } from './child.ts';
import type { ServerHandle, Target } from './server-handle.ts';
import { startTidings } from './tidings-server.ts';

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitListening(child: ChildProcess, port: number, stderr: () => string, timeoutMs = 10_000): Promise<void> {
  let up = false;
  await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr()}`);
      if (up) return true;
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        up = true;
        s.destroy();
      });
      s.once('error', () => s.destroy());
      return undefined;
    },
    timeoutMs,
    `a listener on port ${port}`,
    100,
  );
}

/** Starts a Node baseline script that prints `{"port":N}` once listening. */
async function startNodeScript(target: Target, root: string, script: string, nodeFlags: readonly string[], timeoutMs = 10_000): Promise<ServerHandle> {
  const child = spawn(process.execPath, [...nodeFlags, join(root, script), '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child.stderr);
  const lines = createInterface({ input: child.stdout! });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not start: ${stderr()}`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr()}`)));
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
    });
    const url = target === 'socketio' ? `http://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/ws`;
    return { target, pid: child.pid!, wsUrl: url, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** Starts our OWN nats-server on a free port (never the shared one on 4222). */
async function startNats(): Promise<ServerHandle> {
  const port = await freePort();
  const child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tail(child.stderr);
  try {
    await waitListening(child, port, stderr);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { target: 'nats', pid: child.pid!, wsUrl: `nats://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** Starts our OWN mosquitto on a free port (never the shared one on 1883), with a temporary config. */
async function startMosquitto(): Promise<ServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_connections -1', 'persistence false', 'log_dest none', ''].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tail(child.stderr);
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(child, port, stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { target: 'mqtt', pid: child.pid!, wsUrl: `mqtt://127.0.0.1:${port}`, stop };
}

/** Options of {@link startTarget}. */
export interface StartTargetOptions {
  readonly root: string;
  /** Node flags for Node servers (Tidings, ws, Socket.IO), e.g. the GC probe. */
  readonly nodeFlags?: readonly string[];
  /** Extra `tidings start` flags. */
  readonly tidingsArgs?: readonly string[];
  /** `ws` only: the fan-out relay instead of the 1:1 relay. */
  readonly wsFanout?: boolean;
}

/** Starts one server under test as a child process of ours. */
export function startTarget(target: Target, o: StartTargetOptions): Promise<ServerHandle> {
  switch (target) {
    case 'tidings':
      return startTidings({ root: o.root, nodeFlags: o.nodeFlags ?? [], args: o.tidingsArgs ?? [] });
    case 'ws':
      return startNodeScript('ws', o.root, o.wsFanout ? 'bench/baselines/ws-fanout-server.ts' : 'bench/baselines/ws-echo-server.ts', o.nodeFlags ?? []);
    case 'socketio':
      return startNodeScript('socketio', o.root, 'bench/baselines/socketio-server.ts', o.nodeFlags ?? []);
    case 'nats':
      return startNats();
    case 'mqtt':
      return startMosquitto();
  }
}
