import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId, type Frame } from '@tidings/protocol';
import { issueUserToken, newApp } from '@tidings/server';
import { rawConnect } from './helpers/raw-client.ts';
import { testNode } from './helpers/node.ts';

const isError = (code: string) => (f: Frame) => f.body.case === 'error' && f.body.value.code === code;
const send = (rid: number, convId: string, clientMsgId: string, senderSeq: number, text = 'hi') => ({
  rid,
  body: {
    case: 'send' as const,
    value: { convId, clientMsgId, senderSeq: BigInt(senderSeq), type: 'text', content: new TextEncoder().encode(text) },
  },
});

test('bad input - malformed, text, oversized and unexpected frames get their code and a close; others unaffected', async () => {
  const node = await testNode({ maxFrameBytes: 4096 });
  const app = node.info.devApp!;
  const conv = privateConvId('alice', 'bob');
  try {
    const bob = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'bob', 60));
    await bob.next((f) => f.body.case === 'welcome');
    const cases: Array<[string, (c: Awaited<ReturnType<typeof rawConnect>>) => void, number]> = [
      ['protocol.malformed_frame', (c) => c.sendBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), 4400],
      ['protocol.malformed_frame', (c) => c.sendBytes('{"hello":"json"}'), 4400],
      ['protocol.frame_too_large', (c) => c.send(send(1, conv, 'big', 1, 'x'.repeat(5000))), 4413],
      ['protocol.unexpected_frame', (c) => c.send({ rid: 1, body: { case: 'push', value: {} } }), 4400],
      ['protocol.unsupported_version', (c) => c.send({ version: 7, rid: 1, body: { case: 'ping', value: {} } }), 4426],
    ];
    for (const [code, act, closeCode] of cases) {
      const c = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'alice', 60), 'bad');
      await c.next((f) => f.body.case === 'welcome');
      act(c);
      await c.next(isError(code));
      const closed = await c.closed;
      assert.equal(closed.code, closeCode, code);
      assert.equal(closed.reason, code);
    }
    // Content over the message limit is refused but the connection stays.
    const alice = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'alice', 60));
    await alice.next((f) => f.body.case === 'welcome');
    alice.send(send(1, conv, 'c1', 1, 'hello'));
    const ack = await alice.next((f) => f.rid === 1);
    assert.equal(ack.body.case, 'sendAck');
    const push = await bob.next((f) => f.body.case === 'push');
    assert.equal(push.body.case === 'push' && push.body.value.message?.msgId, ack.body.case === 'sendAck' && ack.body.value.msgId);
    // Not a member, bad conversation ids, zero rid: clear errors, nothing stored.
    alice.send(send(2, privateConvId('bob', 'carol'), 'c2', 1));
    assert.ok(isError('send.not_member')(await alice.next((f) => f.rid === 2)));
    alice.send(send(3, 'x:nope', 'c3', 1));
    assert.ok(isError('conv.invalid_id')(await alice.next((f) => f.rid === 3)));
    alice.send(send(4, conv, 'c4', 5));
    const gap = await alice.next((f) => f.rid === 4);
    assert.ok(gap.body.case === 'error' && gap.body.value.code === 'send.sender_seq_gap' && gap.body.value.expectedSenderSeq === 2n);
    assert.equal(await node.store.maxSeq(app.appKey, conv), 1);
    alice.close();
    bob.close();
  } finally {
    await node.dispose();
  }
});

test('bad input - invalid, expired, foreign-app and unknown-app tokens are refused at connect with their code', async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  const other = newApp('other');
  await node.store.createApp(other);
  try {
    const expect = async (token: string, code: string, close: number) => {
      const c = await rawConnect(node.info.wsUrl, token);
      const closed = await c.closed;
      assert.deepEqual(closed, { code: close, reason: code });
      assert.equal(c.frames.length, 0, 'a refused client never gets a frame');
    };
    await expect('not-a-jwt', 'auth.token_invalid', 4401);
    await expect(await issueUserToken(app, 'alice', 10, Date.now() - 3600_000), 'auth.token_expired', 4402);
    // Signed with the other app's key but claiming this app: a forgery.
    await expect(await issueUserToken({ appKey: app.appKey, tokenKey: other.tokenKey }, 'alice', 60), 'auth.token_invalid', 4401);
    await expect(await issueUserToken({ appKey: 'app_nope', tokenKey: other.tokenKey }, 'alice', 60), 'auth.app_unknown', 4403);
    await node.store.setAppDisabled(other.appKey, true);
    await expect(await issueUserToken(other, 'alice', 60), 'auth.app_disabled', 4403);
    // A valid token of the other app works but sees only that app's data.
    await node.store.setAppDisabled(other.appKey, false);
    const c = await rawConnect(node.info.wsUrl, await issueUserToken(other, 'alice', 60));
    const welcome = await c.next((f) => f.body.case === 'welcome');
    assert.equal(welcome.body.case === 'welcome' && welcome.body.value.appKey, other.appKey);
    c.close();
  } finally {
    await node.dispose();
  }
});

test('bad input - the same send resent through different connections is stored once and pushed once', async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  const conv = privateConvId('alice', 'bob');
  try {
    const bob = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'bob', 60));
    await bob.next((f) => f.body.case === 'welcome');
    const acks: Frame[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'alice', 60));
      await a.next((f) => f.body.case === 'welcome');
      a.send(send(9, conv, 'same-id', 1));
      acks.push(await a.next((f) => f.rid === 9));
      a.close();
    }
    const values = acks.map((f) => (f.body.case === 'sendAck' ? f.body.value : undefined));
    assert.deepEqual(
      values.map((v) => [v?.seq, v?.duplicate]),
      [
        [1n, false],
        [1n, true],
        [1n, true],
      ],
    );
    assert.equal(new Set(values.map((v) => v?.msgId)).size, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(bob.frames.filter((f) => f.body.case === 'push').length, 1);
    bob.close();
  } finally {
    await node.dispose();
  }
});
