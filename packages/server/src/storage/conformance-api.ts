import assert from 'node:assert/strict';
import { MESSAGE_FLAG_RECALLED } from './port.ts';
import { app, send, uid, type WithStore } from './conformance-fixtures.ts';

/**
 * Conformance cases for what the signed server API keeps: secret rotation,
 * nonces, users (profiles, blocking, token revocation), automatic sender
 * seqs and recalls.
 */
export function apiCases(withStore: WithStore): void {
  withStore('apps - rotating a secret keeps the old one with its expiry', async (store) => {
    const a = app();
    await store.createApp(a);
    const rotated = await store.rotateAppSecret(a.appKey, 'new-secret', 1_700_000_060_000);
    assert.deepEqual(rotated, { ...a, appSecret: 'new-secret', previousSecret: a.appSecret, previousSecretExpiresAt: 1_700_000_060_000 });
    assert.deepEqual(await store.getApp(a.appKey), rotated);
    const again = await store.rotateAppSecret(a.appKey, 'third', 5);
    assert.deepEqual([again.appSecret, again.previousSecret, again.previousSecretExpiresAt], ['third', 'new-secret', 5]);
    await assert.rejects(store.rotateAppSecret(uid('missing'), 'x', 1));
  });

  withStore('nonces - accepted once until expiry, per app', async (store) => {
    const a = uid('app');
    const b = uid('app');
    const n = uid('n');
    assert.equal(await store.claimNonce(a, n, 2000, 1000), true);
    assert.equal(await store.claimNonce(a, n, 2500, 1500), false);
    assert.equal(await store.claimNonce(b, n, 2000, 1000), true, 'another app has its own nonces');
    assert.equal(await store.claimNonce(a, n, 4000, 2000), true, 'an expired record no longer blocks');
    assert.equal(await store.claimNonce(a, n, 4000, 3000), false);
  });

  withStore('nonces - many claims purge expired records without losing live ones', async (store) => {
    const a = uid('app');
    for (let i = 0; i < 600; i++) assert.equal(await store.claimNonce(a, `n${i}`, i < 300 ? 10 : 1e15, 100), true);
    for (let i = 300; i < 600; i += 37) assert.equal(await store.claimNonce(a, `n${i}`, 1e15, 100), false);
  });

  withStore('users - upsert keeps blocked and revocation state; get of unknown is undefined', async (store) => {
    const a = uid('app');
    assert.equal(await store.getUser(a, 'u1'), undefined);
    const u = await store.upsertUser(a, 'u1', { name: 'Ann', avatarUrl: 'https://x/a.png', extra: '{"k":1}' }, 10);
    assert.deepEqual(u, {
      appKey: a,
      userId: 'u1',
      name: 'Ann',
      avatarUrl: 'https://x/a.png',
      extra: '{"k":1}',
      blocked: false,
      tokensValidAfter: 0,
      deletedAt: 0,
      createdAt: 10,
      updatedAt: 10,
    });
    await store.setUserBlocked(a, 'u1', true, 20);
    await store.revokeUserTokens(a, 'u1', 25, 25);
    const v = await store.upsertUser(a, 'u1', { name: 'Anna', avatarUrl: '', extra: '' }, 30);
    assert.deepEqual([v.name, v.blocked, v.tokensValidAfter, v.createdAt, v.updatedAt], ['Anna', true, 25, 10, 30]);
    assert.deepEqual(await store.getUser(a, 'u1'), v);
    assert.equal(await store.getUser(uid('app'), 'u1'), undefined, 'users are scoped by app');
  });

  withStore('users - block and revoke create unknown users; revocation never moves back', async (store) => {
    const a = uid('app');
    const b = await store.setUserBlocked(a, 'u2', true, 5);
    assert.deepEqual([b.name, b.blocked, b.tokensValidAfter, b.createdAt], ['', true, 0, 5]);
    assert.equal((await store.setUserBlocked(a, 'u2', false, 6)).blocked, false);
    assert.equal((await store.revokeUserTokens(a, 'u3', 100, 100)).tokensValidAfter, 100);
    assert.equal((await store.revokeUserTokens(a, 'u3', 50, 101)).tokensValidAfter, 100);
    assert.equal((await store.revokeUserTokens(a, 'u3', 200, 200)).tokensValidAfter, 200);
  });

  withStore('users - delete erases the profile and leaves a tombstone revoking every older token; re-creating keeps the revocation', async (store) => {
    const a = uid('app');
    const other = uid('app');
    await store.upsertUser(a, 'u1', { name: 'Ann', avatarUrl: 'https://x/a.png', extra: '{"k":1}' }, 10);
    await store.setUserBlocked(a, 'u1', true, 15);
    await store.upsertUser(other, 'u1', { name: 'Other Ann', avatarUrl: '', extra: '' }, 10);
    const gone = await store.deleteUser(a, 'u1', 40);
    assert.deepEqual(gone, {
      appKey: a,
      userId: 'u1',
      name: '',
      avatarUrl: '',
      extra: '',
      blocked: false,
      tokensValidAfter: 40,
      deletedAt: 40,
      createdAt: 10,
      updatedAt: 40,
    });
    assert.deepEqual(await store.getUser(a, 'u1'), gone);
    assert.equal((await store.getUser(other, 'u1'))?.name, 'Other Ann', 'deletion is scoped by app');
    // Deleting again keeps the first instant; a user never registered gets a tombstone too.
    const again = await store.deleteUser(a, 'u1', 50);
    assert.deepEqual([again.deletedAt, again.tokensValidAfter, again.updatedAt], [40, 50, 50]);
    const ghost = await store.deleteUser(a, 'never-registered', 60);
    assert.deepEqual([ghost.name, ghost.deletedAt, ghost.tokensValidAfter, ghost.createdAt], ['', 60, 60, 60]);
    const deleted = (await store.listDeletedUsers()).filter((d) => d.appKey === a || d.appKey === other);
    assert.deepEqual(deleted.map((d) => `${d.appKey === a ? 'a' : 'other'}/${d.userId}`).sort(), ['a/never-registered', 'a/u1']);
    // Re-created: a live user again, new createdAt, the deletion's revocation kept.
    const back = await store.upsertUser(a, 'u1', { name: 'Ann again', avatarUrl: '', extra: '' }, 70);
    assert.deepEqual([back.name, back.deletedAt, back.blocked, back.tokensValidAfter, back.createdAt, back.updatedAt], ['Ann again', 0, false, 50, 70, 70]);
    // A later revocation still only moves forward.
    assert.equal((await store.revokeUserTokens(a, 'u1', 45, 80)).tokensValidAfter, 50);
    const left = (await store.listDeletedUsers()).filter((d) => d.appKey === a);
    assert.deepEqual(left.map((d) => d.userId), ['never-registered']);
  });

  withStore('send - senderSeq 0 takes the next one and still dedupes by clientMsgId', async (store) => {
    const appKey = uid('app');
    const first = send({ appKey, senderDevice: 'server-api', senderSeq: 0 });
    const second = send({ appKey, senderDevice: 'server-api', senderSeq: 0 });
    const outcomes = await store.commitSends([first, second, { ...first, msgId: uid('msg') }]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'stored' || o.status === 'duplicate' ? [o.status, o.message.seq, o.message.senderSeq] : o.status)),
      [
        ['stored', 1, 1],
        ['stored', 2, 2],
        ['duplicate', 1, 1],
      ],
    );
    const [third] = await store.commitSends([send({ appKey, senderDevice: 'server-api', senderSeq: 0 })]);
    assert.equal(third?.status === 'stored' && third.message.senderSeq, 3);
  });

  withStore('recall - storing a recall erases the target and flags it, in the same commit', async (store) => {
    const appKey = uid('app');
    const target = send({ appKey, flags: 3 });
    const other = send({ appKey, senderSeq: 2 });
    await store.commitSends([target, other]);
    const recall = send({ appKey, senderSeq: 0, senderDevice: 'server-api', type: 'tidings.recall', recallsSeq: 1 });
    const [o] = await store.commitSends([recall]);
    assert.equal(o?.status === 'stored' && o.message.seq, 3);
    const [t, untouched] = await store.readRange(appKey, 'g:a', 1, 2, 10);
    assert.deepEqual([t?.flags, t?.content.byteLength], [3 | MESSAGE_FLAG_RECALLED, 0]);
    assert.equal(untouched?.flags, 0);
    assert.equal(new TextDecoder().decode(untouched?.content), 'hello');
  });
}
