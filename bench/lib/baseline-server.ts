import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { stopChild, tail } from './child.ts';
import type { ServerHandle } from './server-handle.ts';

/**
 * Starts `bench/baselines/ws-echo-server.ts` on an ephemeral port as a child
 * process; it prints `{"port":N}` once listening.
 */
export async function startWsBaseline(root: string, timeoutMs = 10_000): Promise<ServerHandle> {
  const child = spawn(process.execPath, [join(root, 'bench/baselines/ws-echo-server.ts'), '--port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = tail(child.stderr);
  const lines = createInterface({ input: child.stdout! });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ws baseline did not start: ${stderr()}`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`ws baseline exited with ${code}: ${stderr()}`)));
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
    });
    return { target: 'ws', pid: child.pid!, wsUrl: `ws://127.0.0.1:${port}/ws`, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}
