import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId } from '@tidings/protocol';
import { createClient, type Message, type TidingsClient } from '@tidings/sdk';
import { ServerApiError } from '@tidings/server-sdk';
import { rawConnect } from './helpers/raw-client.ts';
import { apiNode } from './helpers/api.ts';
import { codeOf, until } from './helpers/people.ts';

const apiCode = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ServerApiError ? `${e.code} ${e.status}` : String(e)),
  );

test('user deletion - tokens refused at once (auth.user_deleted), live devices closed, no sends to or as them, profile erased, messages kept; re-creating does not revive old tokens', async () => {
  const { node, a, appA } = await apiNode();
  const conv = privateConvId('alice', 'bob');
  const clients: TidingsClient[] = [];
  const client = (user: string, device: string, token: string): TidingsClient => {
    const c = createClient({ url: node.info.wsUrl, token, deviceId: device, serverKey: node.info.serverKey, backoff: { minMs: 20, maxMs: 100 } });
    clients.push(c);
    return c;
  };
  try {
    await a.users.upsert('alice', { name: 'Alice', avatarUrl: 'https://x/a.png', extra: { plan: 'pro' } });
    const oldToken = (await a.users.issueToken('alice', 3600)).token;
    const alice1 = client('alice', 'a1', oldToken);
    const alice2 = client('alice', 'a2', oldToken);
    const bob = client('bob', 'b1', (await a.users.issueToken('bob', 3600)).token);
    const aliceErrors: string[] = [];
    for (const c of [alice1, alice2]) c.on('error', (e) => aliceErrors.push(e.code));
    const bobGot: Message[] = [];
    bob.on('message', (m) => bobGot.push(m));
    await Promise.all([alice1.connect(), alice2.connect(), bob.connect()]);
    await alice1.send(conv, { type: 'text', content: 'hello from alice' });
    await until(() => bobGot.length === 1, 'bob to get the message');

    const tomb = await a.users.delete('alice');
    assert.deepEqual(
      [tomb.userId, tomb.name, tomb.avatarUrl, tomb.extra, tomb.blocked, tomb.deletedAt > 0, tomb.tokensValidAfter === tomb.deletedAt],
      ['alice', '', '', '', false, true, true],
    );
    // Both live devices are closed with the code, for good (no reconnect loop).
    await until(() => alice1.state === 'closed' && alice2.state === 'closed', 'alice devices to be closed');
    assert.deepEqual(aliceErrors, ['auth.user_deleted', 'auth.user_deleted']);
    // The token is refused at connect, over a fresh secure session.
    const again = await rawConnect(node.info.wsUrl, oldToken, 'a3', { serverKey: Buffer.from(node.info.serverKey, 'base64url') });
    assert.deepEqual(await again.closed, { code: 4406, reason: 'auth.user_deleted' });

    // Nobody can send to them, from a device or the API; nothing is sent as them; no new token.
    assert.equal(await codeOf(bob.send(conv, { type: 'text', content: 'are you there?' })), 'user.deleted');
    assert.equal(await apiCode(a.messages.sendPrivate('bob', 'alice', { type: 'text', content: 'x' })), 'user.deleted 410');
    assert.equal(await apiCode(a.messages.sendPrivate('alice', 'bob', { type: 'text', content: 'x' })), 'user.deleted 410');
    assert.equal(await apiCode(a.messages.sendSystem('alice', { type: 'notice', content: 'x' })), 'user.deleted 410');
    assert.equal(await apiCode(a.users.issueToken('alice', 60)), 'user.deleted 410');
    // bob's other conversations are untouched.
    assert.equal((await bob.send(privateConvId('bob', 'carol'), { type: 'text', content: 'hi carol' })).seq, 1);

    // The profile is gone from storage; the messages stay, with their sender id.
    assert.deepEqual(await a.users.get('alice'), tomb);
    const stored = await node.store.getUser(appA.appKey, 'alice');
    assert.deepEqual([stored?.name, stored?.avatarUrl, stored?.extra], ['', '', '']);
    const history = await a.conversations.history(conv, { fromSeq: 1 });
    assert.deepEqual(history.messages.map((m) => [m.senderId, new TextDecoder().decode(m.content)]), [['alice', 'hello from alice']]);
    assert.equal((await a.users.delete('alice')).deletedAt, tomb.deletedAt, 'deleting again is a no-op');

    // Re-created with the same id: old tokens stay dead, new ones work, and alice can be sent to again.
    const back = await a.users.upsert('alice', { name: 'Alice again' });
    assert.deepEqual([back.name, back.deletedAt, back.extra], ['Alice again', 0, '']);
    const stale = await rawConnect(node.info.wsUrl, oldToken, 'a4', { serverKey: Buffer.from(node.info.serverKey, 'base64url') });
    assert.deepEqual(await stale.closed, { code: 4404, reason: 'auth.token_revoked' });
    const reborn = client('alice', 'a5', (await a.users.issueToken('alice', 3600)).token);
    const rebornGot: Message[] = [];
    reborn.on('message', (m) => rebornGot.push(m));
    await reborn.connect();
    const ack = await bob.send(conv, { type: 'text', content: 'welcome back' });
    assert.equal(ack.seq, 2);
    await until(() => rebornGot.some((m) => m.seq === 2), 'the re-created alice to get the message');
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await node.dispose();
  }
});

test('user deletion - the user leaves every group: removed as a member, an owned group passes to its first admin (else first member), a group left empty is dismissed', async () => {
  const { node, a } = await apiNode();
  try {
    await a.groups.create('plain', { owner: 'carol', members: ['alice', 'bob'] });
    await a.groups.create('with-admin', { owner: 'alice', members: ['bob', 'dan', 'erin'] });
    await a.groups.setRole('with-admin', 'erin', 'admin');
    await a.groups.create('members-only', { owner: 'alice', members: ['zed', 'dan'] });
    await a.groups.create('alone', { owner: 'alice' });
    await a.groups.create('left-before', { owner: 'carol', members: ['alice'] });
    await a.groups.remove('left-before', ['alice']);
    await a.groups.create('not-hers', { owner: 'bob', members: ['dan'] });
    const before = await a.groups.info('not-hers');

    await a.users.delete('alice');
    const members = async (g: string) => (await a.groups.members(g)).members.map((m) => `${m.userId}:${m.role}`).sort();
    assert.deepEqual(await members('plain'), ['bob:member', 'carol:owner']);
    assert.equal((await a.groups.info('with-admin')).ownerId, 'erin', 'the admin takes over');
    assert.deepEqual(await members('with-admin'), ['bob:member', 'dan:member', 'erin:owner']);
    assert.equal((await a.groups.info('members-only')).ownerId, 'dan', 'no admin: the first member by id takes over');
    assert.deepEqual(await members('members-only'), ['dan:owner', 'zed:member']);
    assert.equal(await apiCode(a.groups.info('alone')), 'conv.not_found 404', 'nobody left: dismissed');
    assert.deepEqual(await members('left-before'), ['carol:owner']);
    assert.deepEqual(await a.groups.info('not-hers'), before, 'a group she was never in is untouched');
    // Every member saw the change in the group's stream, from the app's backend.
    const plain = await a.conversations.history('g:plain', { fromSeq: 1 });
    assert.deepEqual(
      plain.messages.map((m) => [m.type, m.senderId]).at(-1),
      ['tidings.group.members_removed', '@system'],
    );
    // Deleting again changes nothing.
    const seq = (await a.conversations.history('g:with-admin', { fromSeq: 1 })).messages.at(-1)!.seq;
    await a.users.delete('alice');
    assert.equal((await a.conversations.history('g:with-admin', { fromSeq: 1 })).messages.at(-1)!.seq, seq);
  } finally {
    await node.dispose();
  }
});
