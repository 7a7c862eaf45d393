import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect as tcpConnect } from 'node:net';

/**
 * Test helpers for the NATS suites. The service is mandatory: when it is
 * unreachable the suites fail (never skip) with a message saying how to start it.
 */

/** `TIDINGS_NATS_URL`, or the local default. */
export const NATS_URL = process.env.TIDINGS_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A bus prefix unique to this run. */
export function freshPrefix(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

/** Resolves when something accepts TCP connections on host:port; rejects after `ms`. */
export async function waitForPort(host: string, port: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listening on ${host}:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Throws a clear error when the shared NATS server is down. */
export async function requireNats(): Promise<void> {
  const u = new URL(NATS_URL);
  await waitForPort(u.hostname, Number(u.port || 4222), 2000).catch((cause: unknown) => {
    throw new Error(`NATS is not reachable at ${NATS_URL} (set TIDINGS_NATS_URL, or run scripts/services.sh)`, {
      cause,
    });
  });
}

/** A free TCP port on 127.0.0.1 (free when asked; good enough for a test server). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts a private nats-server on `port` and waits until it accepts connections. */
export async function startNatsServer(port: number): Promise<ChildProcess> {
  const child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await Promise.race([waitForPort('127.0.0.1', port), new Promise((_, reject) => child.once('error', reject))]);
  return child;
}

/** Kills a server started by {@link startNatsServer} and waits for it to exit. */
export async function killNatsServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
