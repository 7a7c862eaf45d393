import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId, type Frame } from '@tidings/protocol';
import { FLAG_RECALLED, RECALL_TYPE, ServerApiError } from '@tidings/server-sdk';
import { rawConnect } from './helpers/raw-client.ts';
import { apiNode } from './helpers/api.ts';

const isPush = (f: Frame) => f.body.case === 'push';
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ServerApiError ? e.code : String(e)),
  );

test('server api - apps: create, list, disable, enable and rotate through the operator credential', async () => {
  const { node, admin, appA, a } = await apiNode();
  try {
    const listed = await admin.apps.list();
    assert.ok(listed.some((x) => x.appKey === appA.appKey && x.name === 'A' && !x.disabled));
    assert.ok(listed.every((x) => !('appSecret' in x)), 'list never shows secrets');
    assert.equal((await admin.apps.disable(appA.appKey)).disabled, true);
    assert.equal(await code(a.users.get('alice')), 'auth.app_disabled');
    assert.equal((await admin.apps.enable(appA.appKey)).disabled, false);
    const rotated = await admin.apps.rotateSecret(appA.appKey, 60);
    assert.notEqual(rotated.appSecret, appA.appSecret);
    assert.ok(rotated.previousSecretExpiresAt! > Date.now());
    assert.equal(await code(a.users.get('nobody')), 'user.not_found', 'the old secret still works in its grace period');
    assert.equal(await code(admin.apps.disable('app_missing')), 'auth.app_unknown');
  } finally {
    await node.dispose();
  }
});

test('server api - users: profile, token, online, revoke and block, which disconnect devices and are honoured at connect', async () => {
  const { node, a, appA } = await apiNode();
  try {
    const u = await a.users.upsert('alice', { name: 'Alice', avatarUrl: 'https://x/a.png', extra: { vip: true } });
    assert.deepEqual([u.userId, u.name, u.avatarUrl, JSON.parse(u.extra), u.blocked], ['alice', 'Alice', 'https://x/a.png', { vip: true }, false]);
    assert.equal((await a.users.upsert('alice', { name: 'Alicia' })).name, 'Alicia');
    assert.equal((await a.users.get('alice')).name, 'Alicia');
    assert.equal(await code(a.users.get('ghost')), 'user.not_found');
    assert.equal(await code(a.users.upsert('alice', { extra: undefined, name: 'x'.repeat(300) })), 'protocol.invalid_request');

    const { token, expiresAt } = await a.users.issueToken('alice', 120);
    assert.ok(Math.abs(expiresAt - (Date.now() + 120_000)) < 2000);
    assert.equal((await a.users.online('alice')).online, false);
    const c = await rawConnect(node.info.wsUrl, token);
    const welcome = await c.next((f) => f.body.case === 'welcome');
    assert.equal(welcome.body.case === 'welcome' && welcome.body.value.appKey, appA.appKey);
    assert.equal((await a.users.online('alice')).online, true);

    await new Promise((r) => setTimeout(r, 5));
    await a.users.revokeTokens('alice');
    assert.deepEqual(await c.closed, { code: 4404, reason: 'auth.token_revoked' }, 'revocation disconnects the devices');
    const revoked = await rawConnect(node.info.wsUrl, token);
    assert.deepEqual(await revoked.closed, { code: 4404, reason: 'auth.token_revoked' });
    const fresh = (await a.users.issueToken('alice', 120)).token;
    const ok = await rawConnect(node.info.wsUrl, fresh);
    await ok.next((f) => f.body.case === 'welcome');

    assert.equal((await a.users.block('alice')).blocked, true);
    assert.deepEqual(await ok.closed, { code: 4405, reason: 'auth.user_blocked' }, 'blocking disconnects the devices');
    const blocked = await rawConnect(node.info.wsUrl, fresh);
    assert.deepEqual(await blocked.closed, { code: 4405, reason: 'auth.user_blocked' });
    assert.equal(await code(a.users.issueToken('alice', 60)), 'auth.user_blocked');
    assert.equal((await a.users.unblock('alice')).blocked, false);
    const back = await rawConnect(node.info.wsUrl, fresh);
    await back.next((f) => f.body.case === 'welcome');
    back.close();
  } finally {
    await node.dispose();
  }
});

test('server api - messages: private and system sends reach devices, retries dedupe, history reads ranges, recall erases', async () => {
  const { node, a } = await apiNode();
  const conv = privateConvId('alice', 'bob');
  try {
    const bob = await rawConnect(node.info.wsUrl, (await a.users.issueToken('bob', 60)).token);
    await bob.next((f) => f.body.case === 'welcome');
    const first = await a.messages.sendPrivate('alice', 'bob', { type: 'text', content: 'hello', idempotencyKey: 'k1' });
    assert.deepEqual([first.convId, first.seq, first.duplicate], [conv, 1, false]);
    const push = await bob.next(isPush);
    assert.equal(push.body.case === 'push' && push.body.value.message?.msgId, first.msgId);
    const again = await a.messages.sendPrivate('alice', 'bob', { type: 'text', content: 'hello', idempotencyKey: 'k1' });
    assert.deepEqual(again, { ...first, duplicate: true });
    // Concurrent calls keep their call order (one lane per conversation).
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.messages.sendPrivate(i % 2 ? 'bob' : 'alice', i % 2 ? 'alice' : 'bob', { type: 'text', content: `m${i}` })),
    );
    assert.deepEqual(
      sent.map((s) => s.seq),
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    const bytes = await a.messages.sendPrivate('bob', 'alice', { type: 'bin', content: new Uint8Array([0, 255, 7]), flags: 3 });

    const sys = await a.messages.sendSystem('bob', { type: 'notice', content: 'maintenance at 5', idempotencyKey: 's1' });
    assert.deepEqual([sys.convId, sys.seq], ['s:bob', 1]);
    const sysPush = await bob.next((f) => f.body.case === 'push' && f.body.value.message?.convId === 's:bob');
    assert.equal(sysPush.body.case === 'push' && sysPush.body.value.message?.senderId, '@system');
    bob.send({ rid: 9, body: { case: 'pull', value: { convId: 's:bob', fromSeq: 1n, toSeq: 0n, limit: 10 } } });
    const pulled = await bob.next((f) => f.rid === 9);
    assert.equal(pulled.body.case === 'pullResult' && pulled.body.value.messages.length, 1, 'a user reads its own system conversation');
    bob.send({ rid: 10, body: { case: 'send', value: { convId: 's:bob', clientMsgId: 'x', senderSeq: 1n, type: 'text', content: new Uint8Array() } } });
    const refused = await bob.next((f) => f.rid === 10);
    assert.equal(refused.body.case === 'error' && refused.body.value.code, 'auth.forbidden', 'devices cannot write system conversations');

    const page = await a.conversations.history(conv, { fromSeq: 2, toSeq: 5 });
    assert.deepEqual(
      page.messages.map((m) => [m.seq, text(m.content), m.senderDevice]),
      [2, 3, 4, 5].map((s) => [s, `m${s - 2}`, 'server-api']),
    );
    assert.deepEqual([page.maxSeq, page.hasMore], [22, false], "hasMore is about the requested range");
    const tail = await a.conversations.history(conv, { fromSeq: 22 });
    assert.deepEqual([tail.messages[0]?.content, tail.messages[0]?.flags, tail.hasMore], [new Uint8Array([0, 255, 7]), 3, false]);
    assert.equal(bytes.seq, 22);
    const limited = await a.conversations.history(conv, { limit: 3 });
    assert.deepEqual([limited.messages.map((m) => m.seq), limited.hasMore], [[1, 2, 3], true]);

    const recall = await a.conversations.recall(conv, 2);
    assert.deepEqual([recall.seq, recall.duplicate], [23, false]);
    assert.deepEqual(await a.conversations.recall(conv, 2), { ...recall, duplicate: true });
    const [target] = (await a.conversations.history(conv, { fromSeq: 2, toSeq: 2 })).messages;
    assert.deepEqual([target?.content.byteLength, (target!.flags & FLAG_RECALLED) !== 0], [0, true]);
    const [entry] = (await a.conversations.history(conv, { fromSeq: 23 })).messages;
    assert.deepEqual([entry?.type, JSON.parse(text(entry!.content))], [RECALL_TYPE, { seq: 2 }]);
    assert.equal(await code(a.conversations.recall(conv, 23)), 'msg.not_recallable');
    assert.equal(await code(a.conversations.recall(conv, 99)), 'msg.not_found');
    assert.equal(await code(a.conversations.history('x:nope')), 'conv.invalid_id');
    assert.equal(await code(a.messages.sendPrivate('alice', 'alice', { type: 'text', content: 'me' })), 'conv.invalid_id');
    bob.close();
  } finally {
    await node.dispose();
  }
});
