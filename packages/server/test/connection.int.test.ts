import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { privateConvId } from '@tidings/protocol';
import { createClient, type Message } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { rawConnect } from './helpers/raw-client.ts';
import { testNode } from './helpers/node.ts';

async function connections(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('tidings_connections '));
  return Number(line?.split(' ')[1]);
}

async function until(pred: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const socketOf = (ws: unknown): Socket => (ws as { _socket: Socket })._socket;

test('connection - a silent client is closed by the heartbeat sweep', async () => {
  const node = await testNode({ pingIntervalMs: 100, heartbeatTimeoutMs: 400 });
  try {
    const c = await rawConnect(node.info.wsUrl, await issueUserToken(node.info.devApp!, 'alice', 60));
    await c.next((f) => f.body.case === 'welcome');
    assert.equal(await connections(node.info.httpUrl), 1);
    socketOf(c.ws).pause(); // no more pongs
    await until(async () => (await connections(node.info.httpUrl)) === 0, 5000);
  } finally {
    await node.dispose();
  }
});

test('connection - a client that does not read is cut as a slow consumer; others go on and it catches up after', async () => {
  const node = await testNode({ sendBufferBytes: 64 * 1024 });
  const app = node.info.devApp!;
  const conv = privateConvId('alice', 'bob');
  const alice = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), deviceId: 'a', serverKey: node.info.serverKey });
  try {
    const bobRaw = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'bob', 60), 'b');
    await bobRaw.next((f) => f.body.case === 'welcome');
    socketOf(bobRaw.ws).pause();
    await alice.connect();
    const big = new Uint8Array(30_000).fill(7);
    const sends = Array.from({ length: 400 }, () => alice.send(conv, { type: 'blob', content: big }));
    await Promise.all(sends);
    await until(async () => (await connections(node.info.httpUrl)) === 1);
    // The cut device reconnects (as its SDK would) and gets everything through sync.
    bobRaw.ws.terminate();
    const bob = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'bob', 60), deviceId: 'b', serverKey: node.info.serverKey });
    const got: Message[] = [];
    bob.on('message', (m) => got.push(m));
    await bob.connect();
    await until(() => got.length === 400, 20_000);
    assert.deepEqual(
      got.map((m) => m.seq),
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
    await bob.close();
  } finally {
    await alice.close();
    await node.dispose();
  }
});
