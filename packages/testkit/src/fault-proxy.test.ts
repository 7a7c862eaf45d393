import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeFrame, decodeFrame } from '@tidings/protocol';
import { createFaultProxy, type FaultProxy } from './fault-proxy.ts';

interface Echo {
  readonly url: string;
  readonly seen: Array<{ url: string; protocols: string; received: string[] }>;
  close(): Promise<void>;
}

/** A tiny echo server: echoes frames, and obeys a few text commands. */
async function startEcho(t: TestContext): Promise<Echo> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (offered) => (offered.has('tidings.v1') ? 'tidings.v1' : false),
    verifyClient: (info, cb) => (info.req.url?.includes('deny') ? cb(false, 401, 'Unauthorized') : cb(true)),
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const seen: Echo['seen'] = [];
  wss.on('connection', (ws, req) => {
    const entry = {
      url: req.url ?? '',
      protocols: String(req.headers['sec-websocket-protocol'] ?? ''),
      received: [] as string[],
    };
    seen.push(entry);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : String(data);
      entry.received.push(isBinary ? `bin:${(data as Buffer).byteLength}` : text);
      if (text.startsWith('close:')) {
        const [, code, reason] = text.split(':');
        ws.close(Number(code), reason);
      } else if (text === 'ack-and-push') {
        ws.send(encodeFrame({ rid: 1, body: { case: 'sendAck', value: {} } }));
        ws.send(encodeFrame({ rid: 0, body: { case: 'push', value: {} } }));
      } else {
        ws.send(data, { binary: isBinary });
      }
    });
  });
  const echo: Echo = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
  t.after(() => echo.close());
  return echo;
}

interface Client {
  readonly ws: WebSocket;
  readonly received: Array<{ data: Buffer; isBinary: boolean }>;
  /** Resolves once `n` messages have arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

async function connect(url: string, protocols: string[] = []): Promise<Client> {
  const ws = new WebSocket(url, protocols);
  const received: Client['received'] = [];
  ws.on('message', (data, isBinary) => received.push({ data: data as Buffer, isBinary }));
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.once('close', (code, reason) => r({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    received,
    closed,
    async waitFor(n, ms = 2000) {
      const until = Date.now() + ms;
      while (received.length < n) {
        if (Date.now() > until) throw new Error(`got ${received.length} messages, wanted ${n}`);
        await sleep(5);
      }
    },
  };
}

async function proxyFor(t: TestContext, echo: Echo, faults = {}, seed = 1): Promise<FaultProxy> {
  const proxy = await createFaultProxy({ target: echo.url, seed, faults });
  t.after(() => proxy.close());
  return proxy;
}

const texts = (c: Client): string[] => c.received.map((m) => String(m.data));

test('fault proxy - frames pass through intact and in order', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo);
  const c = await connect(proxy.url);
  const bin = new Uint8Array([0, 1, 2, 255, 254]);
  const frame = encodeFrame({ rid: 7, body: { case: 'ping', value: { clientTime: 123n } } });
  c.ws.send(bin);
  c.ws.send('hello');
  c.ws.send(frame);
  await c.waitFor(3);
  assert.deepEqual(new Uint8Array(c.received[0]!.data), bin);
  assert.equal(c.received[0]!.isBinary, true);
  assert.equal(String(c.received[1]!.data), 'hello');
  assert.equal(c.received[1]!.isBinary, false);
  const r = decodeFrame(c.received[2]!.data);
  assert.ok(r.ok && r.frame.body.case === 'ping' && r.frame.body.value.clientTime === 123n);
  assert.equal(proxy.stats().frames.c2s, 3);
  assert.equal(proxy.stats().frames.s2c, 3);
  c.ws.close();
});

test('fault proxy - path, query and subprotocols reach the target; chosen protocol comes back', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo);
  const c = await connect(`${proxy.url}/v1/ws?device=d1`, ['tidings.v1', 'tidings.token.abc']);
  assert.equal(c.ws.protocol, 'tidings.v1');
  assert.equal(echo.seen[0]!.url, '/v1/ws?device=d1');
  assert.deepEqual(echo.seen[0]!.protocols.split(/, */), ['tidings.v1', 'tidings.token.abc']);
  c.ws.close();
});

test('fault proxy - upstream close code and reason reach the client', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo);
  const c = await connect(proxy.url);
  c.ws.send('close:4001:token expired');
  assert.deepEqual(await c.closed, { code: 4001, reason: 'token expired' });
});

test('fault proxy - an upstream refusal is relayed with its status', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo);
  const ws = new WebSocket(`${proxy.url}/deny`);
  ws.on('error', () => {});
  const status = await new Promise<number>((resolve) =>
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
  );
  ws.terminate();
  assert.equal(status, 401);
  assert.equal(proxy.stats().upstreamFailures, 1);
});

test('fault proxy - drop with p=1 drops every frame in that direction only', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo, { drop: { s2c: 1 } });
  const c = await connect(proxy.url);
  for (let i = 0; i < 5; i++) c.ws.send(`m${i}`);
  await sleep(100);
  assert.equal(echo.seen[0]!.received.length, 5);
  assert.equal(c.received.length, 0);
  assert.equal(proxy.stats().drops.s2c, 5);
  assert.equal(proxy.stats().drops.c2s, 0);
  proxy.set({ drop: 0 });
  c.ws.send('after');
  await c.waitFor(1);
  assert.deepEqual(texts(c), ['after']);
  c.ws.close();
});

test('fault proxy - dup with p=1 sends every frame twice, in order; p=0 never', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo, { dup: { c2s: 1 } });
  const c = await connect(proxy.url);
  for (const m of ['a', 'b', 'c']) c.ws.send(m);
  await c.waitFor(6);
  assert.deepEqual(texts(c), ['a', 'a', 'b', 'b', 'c', 'c']);
  assert.equal(proxy.stats().dups.c2s, 3);
  proxy.set({ dup: 0 });
  c.ws.send('d');
  await c.waitFor(7);
  await sleep(50);
  assert.equal(c.received.length, 7);
  c.ws.close();
});

test('fault proxy - dropAcks drops send_ack frames only', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo, { dropAcks: 1 });
  const c = await connect(proxy.url);
  c.ws.send('ack-and-push');
  await c.waitFor(1);
  await sleep(50);
  assert.equal(c.received.length, 1);
  const r = decodeFrame(c.received[0]!.data);
  assert.ok(r.ok);
  assert.equal(r.frame.body.case, 'push');
  assert.equal(proxy.stats().ackDrops, 1);
  c.ws.close();
});

test('fault proxy - rules target frame types by body case', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo, {
    rules: [{ action: 'drop', p: 1, direction: 'c2s', cases: ['ping', 'delivery_ack'] }],
  });
  const c = await connect(proxy.url);
  c.ws.send(encodeFrame({ rid: 1, body: { case: 'ping', value: {} } }));
  c.ws.send(encodeFrame({ rid: 0, body: { case: 'deliveryAck', value: {} } }));
  c.ws.send(encodeFrame({ rid: 2, body: { case: 'sync', value: {} } }));
  await c.waitFor(1);
  await sleep(50);
  assert.equal(c.received.length, 1);
  const r = decodeFrame(c.received[0]!.data);
  assert.ok(r.ok && r.frame.body.case === 'sync');
  c.ws.close();
});

test('fault proxy - cutAll drops every connection abruptly and new ones still work', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo);
  const a = await connect(proxy.url);
  const b = await connect(proxy.url);
  assert.equal(proxy.connections, 2);
  assert.equal(proxy.cutAll(), 2);
  assert.equal((await a.closed).code, 1006);
  assert.equal((await b.closed).code, 1006);
  assert.equal(proxy.stats().cuts, 2);
  const c = await connect(proxy.url);
  c.ws.send('alive');
  await c.waitFor(1);
  c.ws.close();
});

test('fault proxy - periodic cut cuts connections on schedule', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo, { cut: { everyMs: 40, jitterMs: 10 } });
  const a = await connect(proxy.url);
  assert.equal((await a.closed).code, 1006);
  proxy.set({ cut: null });
  const b = await connect(proxy.url);
  await sleep(150);
  assert.equal(b.ws.readyState, WebSocket.OPEN);
  assert.ok(proxy.stats().cuts >= 1);
  b.ws.close();
});

test('fault proxy - stall holds frames both ways, then delivers them in order', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo);
  const c = await connect(proxy.url);
  const started = Date.now();
  assert.equal(proxy.stall(150), 1);
  c.ws.send('x');
  c.ws.send('y');
  await sleep(60);
  assert.equal(echo.seen[0]!.received.length, 0);
  await c.waitFor(2);
  assert.ok(Date.now() - started >= 140);
  assert.deepEqual(texts(c), ['x', 'y']);
  c.ws.close();
});

test('fault proxy - delay with jitter keeps frame order', async (t) => {
  const echo = await startEcho(t);
  const proxy = await proxyFor(t, echo, { delayMs: 20, delayJitterMs: 20 });
  const c = await connect(proxy.url);
  const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
  for (const m of sent) c.ws.send(m);
  await c.waitFor(20);
  assert.deepEqual(texts(c), sent);
  assert.equal(proxy.stats().delayed, 40);
  c.ws.close();
});

test('fault proxy - the same seed gives the same drops', async (t) => {
  const echo = await startEcho(t);
  const run = async (seed: number): Promise<string[]> => {
    const proxy = await proxyFor(t, echo, { drop: { c2s: 0.5 } }, seed);
    const c = await connect(proxy.url);
    for (let i = 0; i < 40; i++) c.ws.send(`m${i}`);
    await sleep(150);
    c.ws.close();
    await proxy.close();
    return texts(c);
  };
  const first = await run(42);
  assert.deepEqual(await run(42), first);
  assert.ok(first.length > 5 && first.length < 40, `kept ${first.length}`);
});
