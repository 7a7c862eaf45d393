import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTcpFaultProxy } from './tcp-proxy.ts';

async function startEcho(t: TestContext): Promise<{ port: number; received: () => number }> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => {
      received += d.byteLength;
      s.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, received: () => received };
}

interface Client {
  readonly socket: Socket;
  data(): Buffer;
  readonly closed: Promise<string>;
}

async function open(port: number): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  let error = '';
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? 'error'));
  const closed = new Promise<string>((r) => socket.once('close', () => r(error || 'closed')));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, data: () => Buffer.concat(chunks), closed };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

test('tcp proxy - bytes pass through unchanged both ways', async (t) => {
  const echo = await startEcho(t);
  const proxy = await createTcpFaultProxy({ target: `127.0.0.1:${echo.port}`, seed: 1 });
  t.after(() => proxy.close());
  const c = await open(proxy.port);
  const payload = Buffer.alloc(256 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  c.socket.write(payload);
  await until(() => c.data().length === payload.length);
  assert.ok(c.data().equals(payload));
  assert.equal(proxy.connections, 1);
  c.socket.destroy();
});

test('tcp proxy - cutAll resets every connection', async (t) => {
  const echo = await startEcho(t);
  const proxy = await createTcpFaultProxy({ target: { host: '127.0.0.1', port: echo.port }, seed: 1 });
  t.after(() => proxy.close());
  const a = await open(proxy.port);
  const b = await open(proxy.port);
  await until(() => proxy.connections === 2);
  assert.equal(proxy.cutAll(), 2);
  assert.equal(await a.closed, 'ECONNRESET');
  assert.equal(await b.closed, 'ECONNRESET');
  assert.equal(proxy.stats().cuts, 2);
  assert.equal(proxy.connections, 0);
});

test('tcp proxy - stall holds bytes, then delivers them', async (t) => {
  const echo = await startEcho(t);
  const proxy = await createTcpFaultProxy({ target: `127.0.0.1:${echo.port}`, seed: 1 });
  t.after(() => proxy.close());
  const c = await open(proxy.port);
  await until(() => proxy.connections === 1);
  const started = Date.now();
  proxy.stall(150);
  c.socket.write('hello');
  await sleep(60);
  assert.equal(echo.received(), 0);
  await until(() => c.data().toString() === 'hello');
  assert.ok(Date.now() - started >= 140);
  assert.equal(proxy.stats().stalls, 1);
  c.socket.destroy();
});

test('tcp proxy - periodic cut with target one cuts a single connection at a time', async (t) => {
  const echo = await startEcho(t);
  const proxy = await createTcpFaultProxy({ target: `127.0.0.1:${echo.port}`, seed: 9 });
  t.after(() => proxy.close());
  const a = await open(proxy.port);
  const b = await open(proxy.port);
  await until(() => proxy.connections === 2);
  proxy.set({ cut: { everyMs: 30, target: 'one' } });
  await until(() => proxy.stats().cuts === 1);
  proxy.set({ cut: null });
  await sleep(80);
  assert.equal(proxy.stats().cuts, 1);
  assert.equal(proxy.connections, 1);
  a.socket.destroy();
  b.socket.destroy();
});

test('tcp proxy - a refused upstream closes the client and is counted', async (t) => {
  const echo = await startEcho(t);
  const port = echo.port;
  const proxy = await createTcpFaultProxy({ target: `127.0.0.1:${port}`, seed: 1 });
  t.after(() => proxy.close());
  // Point at a port nobody listens on: a fresh proxy to a closed listener.
  const dead = await createTcpFaultProxy({ target: `127.0.0.1:${proxy.port}`, seed: 1 });
  await proxy.close();
  const c = await open(dead.port);
  await c.closed;
  assert.equal(dead.stats().upstreamFailures, 1);
  await dead.close();
});
