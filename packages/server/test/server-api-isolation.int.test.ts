import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId, type Frame } from '@tidings/protocol';
import { ServerApiError } from '@tidings/server-sdk';
import { rawConnect } from './helpers/raw-client.ts';
import { apiNode, sendSigned, template } from './helpers/api.ts';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ServerApiError ? e.code : String(e)),
  );
const pushes = (frames: Frame[]) => frames.filter((f) => f.body.case === 'push').length;

test("server api isolation - app A's credentials never read or write app B's data, on every route", async () => {
  const { node, baseUrl, appA, appB, a, b } = await apiNode();
  const conv = privateConvId('alice', 'carol');
  try {
    // App B's world: a profile, a connected device, a conversation and a system message.
    const carolB = await b.users.upsert('carol', { name: 'Carol of B', extra: { tier: 'gold' } });
    const tokenB = (await b.users.issueToken('carol', 300)).token;
    const deviceB = await rawConnect(node.info.wsUrl, tokenB);
    await deviceB.next((f) => f.body.case === 'welcome');
    const m1 = await b.messages.sendPrivate('alice', 'carol', { type: 'text', content: 'B secret', idempotencyKey: 'same-key' });
    await b.messages.sendSystem('carol', { type: 'notice', content: 'B notice', idempotencyKey: 'sys' });
    await deviceB.next((f) => f.body.case === 'push' && f.body.value.message?.convId === 's:carol');
    const seenByB = pushes(deviceB.frames);

    // Reads: nothing of B is visible to A.
    assert.equal(await code(a.users.get('carol')), 'user.not_found');
    assert.equal((await a.users.online('carol')).online, false);
    assert.deepEqual(await a.conversations.history(conv), { convId: conv, maxSeq: 0, messages: [], hasMore: false });
    assert.equal((await a.conversations.history('s:carol')).maxSeq, 0);
    assert.equal(await code(a.conversations.recall(conv, m1.seq)), 'msg.not_found');

    // Writes by A land in A only.
    await a.users.upsert('carol', { name: 'Carol of A' });
    await a.users.block('carol');
    await a.users.revokeTokens('carol');
    const sentA = await a.messages.sendPrivate('alice', 'carol', { type: 'text', content: 'A text', idempotencyKey: 'same-key' });
    assert.deepEqual([sentA.seq, sentA.duplicate], [1, false], 'the same idempotency key in another app is another message');
    await a.messages.sendSystem('carol', { type: 'notice', content: 'A notice', idempotencyKey: 'sys' });
    const tokenA = await code(a.users.issueToken('carol', 60));
    assert.equal(tokenA, 'auth.user_blocked', "A's block applies to A's carol");
    await a.users.unblock('carol');
    const deviceA = await rawConnect(node.info.wsUrl, (await a.users.issueToken('carol', 60)).token, 'dA');
    const welcomeA = await deviceA.next((f) => f.body.case === 'welcome');
    assert.equal(welcomeA.body.case === 'welcome' && welcomeA.body.value.appKey, appA.appKey, "A's token is A's, never B's");
    // Deleting A's carol closes A's device only, and refuses sends to A's carol only.
    await a.users.delete('carol');
    assert.deepEqual(await deviceA.closed, { code: 4406, reason: 'auth.user_deleted' });
    assert.equal(await code(a.messages.sendPrivate('alice', 'carol', { type: 'text', content: 'A again' })), 'user.deleted');

    const after = await b.users.get('carol');
    assert.deepEqual(after, carolB, "B's profile, block, revocation and deletion state are untouched");
    const history = await b.conversations.history(conv);
    assert.deepEqual(
      history.messages.map((m) => [m.seq, new TextDecoder().decode(m.content)]),
      [[1, 'B secret']],
    );
    assert.equal((await b.conversations.history('s:carol')).maxSeq, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pushes(deviceB.frames), seenByB, "B's device got nothing from A's sends");
    assert.equal(deviceB.ws.readyState, deviceB.ws.OPEN, "A's block and revocation did not disconnect B's carol");
    const stillB = await rawConnect(node.info.wsUrl, tokenB, 'd2');
    await stillB.next((f) => f.body.case === 'welcome');
    assert.equal((await b.users.online('carol')).online, true);
    assert.equal((await b.messages.sendPrivate('alice', 'carol', { type: 'text', content: 'B still' })).seq, 2, "B's carol can still be sent to");

    // A's secret with B's key, and B's routes under A's key, fail.
    const forged = await sendSigned(baseUrl, appA.appSecret, template(appB.appKey, { url: '/v1/users/carol' }));
    assert.equal(forged.body.code, 'api.signature_invalid');
    deviceA.close();
    deviceB.close();
    stillB.close();
  } finally {
    await node.dispose();
  }
});
