import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId, type Frame } from '@tidings/protocol';
import { issueUserToken, newApp } from '@tidings/server';
import { rawConnect, type RawClient } from './helpers/raw-client.ts';
import { testNode } from './helpers/node.ts';

const text = (s: string) => new TextEncoder().encode(s);
const byRid = (rid: number) => (f: Frame) => f.rid === rid;

async function connect(url: string, app: { appKey: string; tokenKey: string }, user: string, device = 'd'): Promise<RawClient> {
  const c = await rawConnect(url, await issueUserToken(app, user, 60), device);
  await c.next((f) => f.body.case === 'welcome');
  return c;
}

test('cross-tenant - the same user and conversation ids in two apps never see each other over WebSocket', async () => {
  const node = await testNode();
  const a = node.info.devApp!;
  const b = newApp('b');
  await node.store.createApp(b);
  const conv = privateConvId('alice', 'bob');
  try {
    const aliceA = await connect(node.info.wsUrl, a, 'alice');
    const bobA = await connect(node.info.wsUrl, a, 'bob');
    const bobB = await connect(node.info.wsUrl, b, 'bob');
    for (let i = 1; i <= 3; i++) {
      aliceA.send({ rid: i, body: { case: 'send', value: { convId: conv, clientMsgId: `a${i}`, senderSeq: BigInt(i), type: 'text', content: text(`secret ${i}`) } } });
      await aliceA.next(byRid(i));
    }
    await bobA.next((f) => f.body.case === 'push' && f.body.value.message?.seq === 3n);
    // Sync, pull and delivery acks in app B find nothing of app A.
    bobB.send({ rid: 1, body: { case: 'sync', value: { cursor: 0n, limit: 100 } } });
    const sync = await bobB.next(byRid(1));
    assert.ok(sync.body.case === 'syncResult');
    assert.deepEqual(sync.body.value.conversations, []);
    bobB.send({ rid: 2, body: { case: 'pull', value: { convId: conv, fromSeq: 1n, toSeq: 0n, limit: 100 } } });
    const pull = await bobB.next(byRid(2));
    assert.ok(pull.body.case === 'pullResult');
    assert.deepEqual([pull.body.value.messages.length, pull.body.value.maxSeq], [0, 0n]);
    // A send in app B starts its own seq stream and reaches nobody in app A.
    bobB.send({ rid: 3, body: { case: 'send', value: { convId: conv, clientMsgId: 'a1', senderSeq: 1n, type: 'text', content: text('hi from b') } } });
    const ack = await bobB.next(byRid(3));
    assert.ok(ack.body.case === 'sendAck');
    assert.deepEqual([ack.body.value.seq, ack.body.value.duplicate], [1n, false], 'same clientMsgId in another app is not a duplicate');
    await new Promise((r) => setTimeout(r, 100));
    const pushesToAliceA = aliceA.frames.filter((f) => f.body.case === 'push');
    assert.equal(pushesToAliceA.length, 0, 'alice in app A got a push from app B');
    assert.equal(bobA.frames.filter((f) => f.body.case === 'push').length, 3);
    for (const f of bobB.frames) if (f.body.case === 'push') assert.fail('bob in app B received a push');
    // Storage agrees.
    assert.equal(await node.store.maxSeq(a.appKey, conv), 3);
    assert.equal(await node.store.maxSeq(b.appKey, conv), 1);
    for (const c of [aliceA, bobA, bobB]) c.close();
  } finally {
    await node.dispose();
  }
});
