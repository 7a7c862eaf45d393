import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, privateConvId, type Message } from '@tidings/sdk';
import { createLogger, issueUserToken, loadConfig, startNode } from '@tidings/server';
import { testNode } from './helpers/node.ts';

test('at rest - text sent through the SDK is nowhere in the node data files, and still reads back after a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-at-rest-'));
  const start = () => startNode(loadConfig({ overrides: { port: 0, dataDir, logLevel: 'silent' } }), createLogger('silent'));
  const marker = `secret-${randomBytes(8).toString('hex')}`;
  const conv = privateConvId('alice', 'bob');
  try {
    let node = await start();
    const app = node.info.devApp!;
    const alice = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), serverKey: node.info.serverKey });
    await alice.connect();
    for (let i = 0; i < 20; i++) await alice.send(conv, { type: 'text', content: `${marker} ${i}` });
    await alice.close();
    await node.close();
    const needle = Buffer.from(marker);
    const dirty = readdirSync(dataDir).filter((f) => readFileSync(join(dataDir, f)).includes(needle));
    assert.deepEqual(dirty, [], 'plaintext found in the data directory');

    node = await start();
    const bob = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'bob', 60), serverKey: node.info.serverKey });
    const got: Message[] = [];
    bob.on('message', (m) => got.push(m));
    await bob.connect();
    const end = Date.now() + 5000;
    while (got.length < 20 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      got.map((m) => new TextDecoder().decode(m.content)),
      Array.from({ length: 20 }, (_, i) => `${marker} ${i}`),
    );
    await bob.close();
    await node.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('at rest - the operator rotates an app data key through the API; messages before and after read back', async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  const conv = privateConvId('alice', 'bob');
  try {
    const alice = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), serverKey: node.info.serverKey });
    await alice.connect();
    await alice.send(conv, { type: 'text', content: 'before' });
    const rotate = (appKey: string, token = node.info.operatorToken!) =>
      fetch(`${node.info.httpUrl}/v1/admin/apps/${appKey}/rotate-data-key`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const res = await rotate(app.appKey);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { keyId: 2 });
    assert.equal((await rotate(app.appKey, 'not-the-operator')).status, 401);
    assert.equal((await rotate('app_nope')).status, 401);
    await alice.send(conv, { type: 'text', content: 'after' });
    const rows = await node.store.readRange(app.appKey, conv, 1, 2, 2);
    assert.deepEqual(
      rows.map((m) => new TextDecoder().decode(m.content)),
      ['before', 'after'],
    );
    await alice.close();
  } finally {
    await node.dispose();
  }
});
