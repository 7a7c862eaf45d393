import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { privateConvId, type Frame } from '@tidings/protocol';
import { createClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { rawConnect } from './helpers/raw-client.ts';
import { testNode } from './helpers/node.ts';

const text = (s: string) => new TextEncoder().encode(s);
const welcome = (f: Frame) => f.body.case === 'welcome';

test('abuse - a connection over its message rate gets rate.limited answers; the SDK resends and loses nothing, in order', async () => {
  const node = await testNode({ rateMessagesPerConnection: 20, rateMessagesPerUser: 0 });
  const app = node.info.devApp!;
  const conv = privateConvId('alice', 'bob');
  try {
    const raw = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'alice', 60), 'raw');
    await raw.next(welcome);
    for (let i = 1; i <= 100; i++) {
      raw.send({ rid: i, body: { case: 'send', value: { convId: conv, clientMsgId: `r${i}`, senderSeq: BigInt(i), type: 'text', content: text('x') } } });
    }
    await raw.next((f) => f.rid === 100);
    const limited = raw.frames.filter((f) => f.body.case === 'error' && f.body.value.code === 'rate.limited');
    assert.ok(limited.length > 0 && limited.every((f) => f.body.case === 'error' && f.body.value.retryable), 'limited and retryable');
    raw.close();
    const sdk = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'carol', 60), deviceId: 'c1', serverKey: node.info.serverKey });
    await sdk.connect();
    const acks = await Promise.all(Array.from({ length: 120 }, (_, i) => sdk.send(privateConvId('carol', 'dave'), { type: 'text', content: `m${i}` })));
    assert.deepEqual(
      acks.map((a) => a.seq),
      Array.from({ length: 120 }, (_, i) => i + 1),
    );
    await sdk.close();
  } finally {
    await node.dispose();
  }
});

test('abuse - connect floods from one address and too many connections of one user are refused with their codes', async () => {
  const node = await testNode({ rateConnectsPerIp: 5, maxConnectionsPerUser: 2 });
  const app = node.info.devApp!;
  try {
    const token = await issueUserToken(app, 'alice', 60);
    const clients = await Promise.all(Array.from({ length: 30 }, (_, i) => rawConnect(node.info.wsUrl, token, `flood${i}`)));
    const closes = await Promise.all(clients.map((c) => Promise.race([c.closed, new Promise<undefined>((r) => setTimeout(r, 1500))])));
    const reasons = closes.map((c) => c?.reason);
    assert.ok(reasons.filter((r) => r === 'rate.connects').length >= 15, `connect flood: ${reasons.join(',')}`);
    assert.ok(reasons.filter((r) => r === 'limit.connections_per_user').length >= 1, 'per-user cap');
    for (const c of clients) c.close();
    const text = await (await fetch(`${node.info.httpUrl}/metrics`)).text();
    assert.match(text, /tidings_rejected_total\{code="rate.connects"\} [1-9]/);
    assert.match(text, /tidings_rejected_total\{code="limit.connections_per_user"\} [1-9]/);
  } finally {
    await node.dispose();
  }
});

test('abuse - idle sockets, a frame flood and a client that never reads do not stop others; memory stays bounded', async () => {
  const node = await testNode({ handshakeTimeoutMs: 1000, rateRequestsPerConnection: 50, sendBufferBytes: 256 * 1024 });
  const app = node.info.devApp!;
  const sockets: net.Socket[] = [];
  try {
    const rssBefore = process.memoryUsage.rss();
    // 300 sockets that never finish an HTTP request, and 100 WebSockets that never authenticate.
    const port = Number(new URL(node.info.httpUrl).port);
    for (let i = 0; i < 300; i++) sockets.push(net.connect(port, '127.0.0.1').on('error', () => {}));
    const silent = await Promise.all(Array.from({ length: 100 }, () => new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(`${node.info.wsUrl}?device=x`, ['tidings.v1.secure']);
      ws.onopen = () => resolve(ws);
      ws.onerror = () => resolve(ws);
    })));
    // A flooder: 20,000 ping frames as fast as it can.
    const flooder = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'mallory', 60), 'f');
    await flooder.next(welcome);
    for (let i = 0; i < 20_000; i++) flooder.send({ rid: i + 1, body: { case: 'sync', value: { cursor: 0n, limit: 1 } } });
    // A reader that never reads while messages pile up for it.
    const stuck = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'bob', 60), 'stuck');
    await stuck.next(welcome);
    (stuck.ws as unknown as { _socket: net.Socket })._socket.pause();
    // Meanwhile alice and bob (another device) talk, and every ack arrives.
    const alice = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), deviceId: 'a', serverKey: node.info.serverKey });
    await alice.connect();
    const started = Date.now();
    const acks = await Promise.all(Array.from({ length: 300 }, (_, i) => alice.send(privateConvId('alice', 'bob'), { type: 'text', content: 'y'.repeat(2000) + i })));
    assert.equal(acks.length, 300);
    assert.ok(Date.now() - started < 10_000, `others were held up: ${Date.now() - started} ms`);
    // The unauthenticated WebSockets are closed at the handshake deadline.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(silent.every((w) => w.readyState === WebSocket.CLOSED || w.readyState === WebSocket.CLOSING), 'silent sockets closed');
    const grown = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
    assert.ok(grown < 300, `RSS grew by ${grown.toFixed(0)} MiB`);
    assert.equal(await node.store.maxSeq(app.appKey, privateConvId('alice', 'bob')), 300);
    await alice.close();
    flooder.close();
    stuck.ws.terminate();
  } finally {
    for (const s of sockets) s.destroy();
    await node.dispose();
  }
});
