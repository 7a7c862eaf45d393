import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, privateConvId, type Message } from '@tidings/sdk';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createSqliteStore, issueUserToken, loadConfig, startNode } from '@tidings/server';
import { testNode } from './helpers/node.ts';

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('offline sync - a device that was offline gets everything on connect, paged, in order, once', async () => {
  const node = await testNode({ maxFrameBytes: 8192 });
  const app = node.info.devApp!;
  const mk = (user: string, device: string) =>
    createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, user, 60), deviceId: device, serverKey: node.info.serverKey });
  const alice = mk('alice', 'a1');
  try {
    await alice.connect();
    // 30 conversations x 40 messages, each with 500 bytes: more than one sync page, many pull pages.
    const peers = Array.from({ length: 30 }, (_, i) => `bob${i}`);
    const body = 'x'.repeat(500);
    await Promise.all(peers.flatMap((p) => Array.from({ length: 40 }, () => alice.send(privateConvId('alice', p), { type: 'text', content: body }))));
    const bob7 = mk('bob7', 'phone');
    const got: Message[] = [];
    bob7.on('message', (m) => got.push(m));
    await bob7.connect();
    await until(() => got.length === 40);
    assert.deepEqual(
      got.map((m) => m.seq),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    // A second device of alice sees her own history across all 30 conversations.
    const alice2 = mk('alice', 'a2');
    const mine: Message[] = [];
    alice2.on('message', (m) => mine.push(m));
    await alice2.connect();
    await until(() => mine.length === 1200);
    assert.equal(new Set(mine.map((m) => m.msgId)).size, 1200);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 40, 'nothing surfaced twice');
    await bob7.close();
    await alice2.close();
  } finally {
    await alice.close();
    await node.dispose();
  }
});

test('graceful shutdown - queued sends are committed and acked before the node stops; acked ones survive', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-shutdown-'));
  const node = await startNode(loadConfig({ overrides: { port: 0, dataDir, logLevel: 'silent' } }), createLogger('silent'));
  const app = node.info.devApp!;
  const alice = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), deviceId: 'a1', serverKey: node.info.serverKey });
  try {
    await alice.connect();
    const conv = privateConvId('alice', 'bob');
    const acked: number[] = [];
    alice.on('ack', (a) => acked.push(a.seq));
    for (let i = 0; i < 500; i++) alice.send(conv, { type: 'text', content: `m${i}` }).catch(() => {});
    await until(() => acked.length > 0);
    await node.close();
    const ackedAtClose = acked.length;
    assert.ok(ackedAtClose > 0);
    assert.deepEqual(
      acked,
      Array.from({ length: acked.length }, (_, i) => i + 1),
    );
    // Content is encrypted at rest under the node's master key (generated into the data dir in development).
    const masterKey = Buffer.from(readFileSync(join(dataDir, 'master.key'), 'utf8').trim(), 'base64');
    const store = await createSqliteStore({ path: join(dataDir, 'tidings.db'), masterKey });
    const rows = await store.readRange(app.appKey, conv, 1, 10_000, 10_000);
    await store.close();
    assert.ok(rows.length >= ackedAtClose, `${rows.length} stored, ${ackedAtClose} acked`);
    assert.deepEqual(
      rows.slice(0, ackedAtClose).map((r) => new TextDecoder().decode(r.content)),
      Array.from({ length: ackedAtClose }, (_, i) => `m${i}`),
    );
  } finally {
    await alice.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
