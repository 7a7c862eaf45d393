import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, privateConvId, type Message } from '@tidings/sdk';
import { createLogger, issueUserToken, loadConfig, startNode } from '@tidings/server';

test('one-to-one - two users exchange messages in order, each seen once, own messages included', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-int-'));
  const node = await startNode(loadConfig({ overrides: { port: 0, dataDir, logLevel: 'silent' } }), createLogger('silent'));
  const app = node.info.devApp!;
  const mk = (user: string) => createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, user, 60), serverKey: node.info.serverKey });
  const alice = mk('alice');
  const bob = mk('bob');
  const seen = { alice: [] as Message[], bob: [] as Message[] };
  alice.on('message', (m) => seen.alice.push(m));
  bob.on('message', (m) => seen.bob.push(m));
  try {
    await Promise.all([alice.connect(), bob.connect()]);
    const conv = privateConvId('alice', 'bob');
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? bob : alice).send(conv, { type: 'text', content: `m${i}` })),
    );
    assert.deepEqual(
      acks.map((a) => a.seq).sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const deadline = Date.now() + 5000;
    while ((seen.alice.length < 50 || seen.bob.length < 50) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const list of [seen.alice, seen.bob]) {
      assert.deepEqual(
        list.map((m) => m.seq),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    }
    assert.deepEqual(
      seen.alice.map((m) => m.msgId),
      seen.bob.map((m) => m.msgId),
    );
    // Each sender's own messages keep its send order.
    const aliceOwn = seen.bob.filter((m) => m.senderId === 'alice').map((m) => new TextDecoder().decode(m.content));
    assert.deepEqual(
      aliceOwn,
      Array.from({ length: 25 }, (_, i) => `m${i * 2}`),
    );
  } finally {
    await alice.close();
    await bob.close();
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
