import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNonce } from '@tidings/server-sdk';
import { apiNode, sendSigned } from './helpers/api.ts';

type Api = Awaited<ReturnType<typeof apiNode>>;

/** One signed call of app A. */
function callerOf(api: Api) {
  return (method: string, url: string, body?: unknown) =>
    sendSigned(api.baseUrl, api.appA.appSecret, {
      appKey: api.appA.appKey,
      timestamp: String(Date.now()),
      nonce: newNonce(),
      method,
      url,
      body: body === undefined ? '' : JSON.stringify(body),
    });
}

test('groups API - create, add, send as a member, roles, mute, history, remove, dismiss; schema-validated', async () => {
  const api = await apiNode();
  const call = callerOf(api);
  try {
    assert.deepEqual((await call('POST', '/v1/groups', { groupId: 'g1', owner: 'alice', members: ['bob'], name: 'One' })).body, { groupId: 'g1', seq: 1 });
    assert.equal((await call('POST', '/v1/groups', { groupId: 'g1', owner: 'alice' })).body.code, 'conv.exists');
    assert.equal((await call('POST', '/v1/groups', { groupId: 'bad id', owner: 'alice' })).status, 400);
    assert.equal((await call('POST', '/v1/groups/g1/members', { members: ['carol', 'dave'] })).body.seq, 2);
    const sent = await call('POST', '/v1/messages/group', { groupId: 'g1', from: 'bob', type: 'text', content: 'hi', idempotencyKey: 'k1' });
    assert.equal(sent.body.seq, 3);
    assert.equal((await call('POST', '/v1/messages/group', { groupId: 'g1', from: 'bob', type: 'text', content: 'hi', idempotencyKey: 'k1' })).body.duplicate, true);
    assert.equal((await call('POST', '/v1/messages/group', { groupId: 'g1', from: 'eve', type: 'text', content: 'x', idempotencyKey: 'k2' })).body.code, 'send.not_member');
    assert.equal((await call('PUT', '/v1/groups/g1/members/carol/role', { role: 'admin' })).status, 200);
    assert.equal((await call('PUT', '/v1/groups/g1/members/dave/mute', { until: Date.now() + 60_000 })).status, 200);
    const muted = await call('POST', '/v1/messages/group', { groupId: 'g1', from: 'dave', type: 'text', content: 'x', idempotencyKey: 'k3' });
    assert.deepEqual([muted.status, muted.body.code], [403, 'send.muted']);
    assert.equal((await call('PUT', '/v1/groups/g1/mute', { on: true, exempt: ['bob'] })).status, 200);
    const info = await call('GET', '/v1/groups/g1');
    assert.deepEqual([info.body.memberCount, info.body.muteAll, info.body.exempt, info.body.ownerId], [4, true, ['bob'], 'alice']);
    const page = await call('GET', '/v1/groups/g1/members?limit=3');
    assert.deepEqual((page.body.members as Array<{ userId: string; role: string }>).map((m) => `${m.userId}:${m.role}`), ['alice:owner', 'bob:member', 'carol:admin']);
    assert.equal(page.body.next, 'carol');
    const history = await call('GET', '/v1/conversations/g:g1/messages');
    assert.deepEqual((history.body.messages as Array<{ type: string }>).map((m) => m.type), [
      'tidings.group.created',
      'tidings.group.members_added',
      'text',
      'tidings.group.role_changed',
      'tidings.group.member_muted',
      'tidings.group.muted_all',
    ]);
    assert.equal((await call('POST', '/v1/groups/g1/members/remove', { members: ['bob'] })).status, 200);
    assert.equal((await call('POST', '/v1/groups/g1/transfer', { to: 'carol' })).status, 200);
    assert.equal((await call('GET', '/v1/groups/g1')).body.ownerId, 'carol');
    assert.equal((await call('DELETE', '/v1/groups/g1')).status, 200);
    assert.equal((await call('GET', '/v1/groups/g1')).body.code, 'conv.not_found');
    // Another app sees nothing of it.
    const other = await sendSigned(api.baseUrl, api.appB.appSecret, { appKey: api.appB.appKey, timestamp: String(Date.now()), nonce: newNonce(), method: 'GET', url: '/v1/groups/g1', body: '' });
    assert.equal(other.body.code, 'conv.not_found');
  } finally {
    await api.node.dispose();
  }
});

test('groups API - a 10,000-member group: built in adds of 500, one message points every member at it', async () => {
  const api = await apiNode();
  const call = callerOf(api);
  try {
    const users = Array.from({ length: 10_000 }, (_, i) => `m${String(i).padStart(5, '0')}`);
    await call('POST', '/v1/groups', { groupId: 'big', owner: users[0] });
    for (let i = 0; i < users.length; i += 500) {
      const r = await call('POST', '/v1/groups/big/members', { members: users.slice(i, i + 500) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    assert.equal((await call('GET', '/v1/groups/big')).body.memberCount, 10_000);
    const started = performance.now();
    const sent = await call('POST', '/v1/messages/group', { groupId: 'big', from: 'm04242', type: 'text', content: 'to all', idempotencyKey: 'big-1' });
    const ms = performance.now() - started;
    assert.equal(sent.status, 200);
    for (const u of [users[1]!, 'm04242', users.at(-1)!]) {
      const changes = await api.node.store.changesSince(api.appA.appKey, u, 0, 10);
      assert.deepEqual(changes.map((c) => [c.convId, c.maxSeq]), [['g:big', sent.body.seq]]);
    }
    // Stored once: the stream has one row per entry, not one per member.
    assert.equal((await api.node.store.readRange(api.appA.appKey, 'g:big', 1, 100, 100)).length, sent.body.seq);
    console.log(`# 10,000-member group send (SQLite, commit incl. 10,000 pointer writes, through the API): ${ms.toFixed(1)} ms`);
  } finally {
    await api.node.dispose();
  }
});

test("groups API - the server SDK covers every group operation; a leave on a member's behalf is the member's own leave", async () => {
  const api = await apiNode();
  const g = api.a.groups;
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
  try {
    assert.deepEqual(await g.create('g2', { owner: 'alice', members: ['bob', 'carol', 'dave'], name: 'Two' }), { groupId: 'g2', seq: 1 });
    assert.equal((await g.add('g2', ['erin'], { by: 'alice' })).seq, 2);
    assert.equal((await g.update('g2', { name: 'Renamed' })).seq, 3);
    await g.setRole('g2', 'carol', 'admin');
    await g.mute('g2', 'dave', Date.now() + 60_000);
    await g.muteAll('g2', true, { exempt: ['bob'] });
    assert.equal(await code(api.a.messages.sendGroup('g2', { type: 'text', content: 'x', from: 'dave' })), 'send.muted');
    assert.equal((await api.a.messages.sendGroup('g2', { type: 'text', content: 'from the app' })).duplicate, false);
    // Leave: by the member (entry member_left naming them), never the owner's.
    assert.equal(await code(g.leave('g2', 'alice')), 'auth.forbidden');
    assert.equal(await code(g.leave('g2', 'zoe')), 'send.not_member');
    const left = await g.leave('g2', 'erin');
    await g.remove('g2', ['dave']);
    await g.transfer('g2', 'bob');
    const info = await g.info('g2');
    assert.deepEqual([info.name, info.ownerId, info.memberCount, info.muteAll, info.exempt], ['Renamed', 'bob', 3, true, ['bob']]);
    const first = await g.members('g2', { limit: 2 });
    const rest = await g.members('g2', { after: first.next, limit: 2 });
    assert.deepEqual([...first.members, ...rest.members].map((m) => `${m.userId}:${m.role}`), ['alice:admin', 'bob:owner', 'carol:admin']);
    assert.equal(rest.next, '');
    const history = await api.a.conversations.history('g:g2');
    const entry = history.messages.find((m) => m.seq === left.seq)!;
    assert.deepEqual([entry.type, entry.senderId], ['tidings.group.member_left', 'erin']);
    await g.dismiss('g2');
    assert.equal(await code(g.info('g2')), 'conv.not_found');
    // Another app cannot act on it.
    assert.equal(await code(api.b.groups.leave('g2', 'bob')), 'conv.not_found');
  } finally {
    await api.node.dispose();
  }
});
