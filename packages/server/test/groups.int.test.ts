import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupConvId } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { testNode } from './helpers/node.ts';
import { codeOf, people, until } from './helpers/people.ts';
import { rawConnect } from './helpers/raw-client.ts';

test('groups - members see the same order including membership entries; a late member sees from its join; a removed member nothing after', async () => {
  const node = await testNode();
  const p = people(node, ['alice', 'bob', 'carol', 'dave']);
  const conv = groupConvId('team');
  try {
    await p.connect();
    assert.deepEqual(await p.c('alice').groups.create('team', { name: 'Team', members: ['bob', 'carol'] }), { seq: 1 });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        p.c(['alice', 'bob', 'carol'][i % 3]!).send(conv, { type: 'text', content: `m${i}` }),
      ),
    );
    const { seq: addedAt } = await p.c('alice').groups.add('team', ['dave']);
    assert.equal(addedAt, 32);
    await p.c('dave').send(conv, { type: 'text', content: 'hello from dave' });
    await p.c('alice').groups.remove('team', ['carol']);
    await p.c('bob').send(conv, { type: 'text', content: 'after carol left' });
    await until(
      () => p.seen('bob', conv).length === 35 && p.seen('alice', conv).length === 35,
      'alice and bob to see 35 entries',
    );
    const ids = (n: string) => p.seen(n, conv).map((m) => m.msgId);
    assert.deepEqual(ids('alice'), ids('bob'));
    assert.deepEqual(
      p.seen('bob', conv).map((m) => m.seq),
      Array.from({ length: 35 }, (_, i) => i + 1),
    );
    assert.equal(p.seen('bob', conv)[0]!.type, 'tidings.group.created');
    // Carol got everything up to and including her removal (seq 34), nothing after.
    await until(() => p.seen('carol', conv).length === 34, 'carol to see 34 entries');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      p.seen('carol', conv).map((m) => m.msgId),
      ids('alice').slice(0, 34),
    );
    assert.equal(p.seen('carol', conv).at(-1)!.type, 'tidings.group.members_removed');
    // Dave: one marker for the history before his join, then the stream from his join on.
    await until(() => p.c('dave').lastSeq(conv) === 35, 'dave to catch up');
    const dave = p.seen('dave', conv);
    assert.equal(dave[0]!.type, 'tidings.skipped');
    assert.equal(dave[0]!.coversTo, addedAt - 1);
    assert.deepEqual(
      dave.slice(1).map((m) => m.msgId),
      ids('alice').slice(addedAt - 1),
    );
    assert.equal(await codeOf(p.c('carol').send(conv, { type: 'text', content: 'let me in' })), 'send.not_member');
  } finally {
    await p.close();
    await node.dispose();
  }
});

test('groups - permissions: non-members cannot send, read or manage; muted members get send.muted; roles, transfer, dismiss', async () => {
  const node = await testNode();
  const p = people(node, ['owner', 'adm', 'm1', 'm2', 'eve']);
  const conv = groupConvId('club');
  try {
    await p.connect();
    await p.c('owner').groups.create('club', { members: ['adm', 'm1', 'm2'] });
    assert.equal(await codeOf(p.c('owner').groups.create('club')), 'conv.exists');
    await p.c('owner').groups.setRole('club', 'adm', 'admin');
    // Outsiders: no send, no history, no management, no info.
    assert.equal(await codeOf(p.c('eve').send(conv, { type: 'text', content: 'x' })), 'send.not_member');
    assert.equal(await codeOf(p.c('eve').groups.info('club')), 'send.not_member');
    assert.equal(await codeOf(p.c('eve').groups.add('club', ['eve'])), 'send.not_member');
    assert.equal(await codeOf(p.c('eve').call(conv, 'members')), 'send.not_member');
    const raw = await rawConnect(node.info.wsUrl, await issueUserToken(node.info.devApp!, 'eve', 60), 'eve-raw');
    raw.send({ rid: 7, body: { case: 'pull', value: { convId: conv, fromSeq: 1n, toSeq: 0n, limit: 10 } } });
    const denied = await raw
      .next((f) => f.rid === 7)
      .catch((e: unknown) => {
        throw new Error(`${String(e)}: ${JSON.stringify(raw.frames.map((f) => [f.rid, f.body.case]))}`);
      });
    assert.equal(denied.body.case === 'error' && denied.body.value.code, 'auth.forbidden');
    raw.close();
    // Plain members cannot manage.
    assert.equal(await codeOf(p.c('m1').groups.add('club', ['eve'])), 'auth.forbidden');
    assert.equal(await codeOf(p.c('m1').groups.mute('club', 'm2', Date.now() + 60_000)), 'auth.forbidden');
    // An admin mutes a member, not the owner.
    await p.c('adm').groups.mute('club', 'm1', Date.now() + 60_000);
    assert.equal(await codeOf(p.c('adm').groups.mute('club', 'owner', Date.now() + 60_000)), 'auth.forbidden');
    assert.equal(await codeOf(p.c('m1').send(conv, { type: 'text', content: 'muted?' })), 'send.muted');
    await p.c('adm').groups.mute('club', 'm1', 0);
    await p.c('m1').send(conv, { type: 'text', content: 'unmuted' });
    // Mute-all with an exempt member; the admin is not affected.
    await p.c('owner').groups.muteAll('club', true, ['m2']);
    assert.equal(await codeOf(p.c('m1').send(conv, { type: 'text', content: 'x' })), 'send.muted');
    await p.c('m2').send(conv, { type: 'text', content: 'exempt' });
    await p.c('adm').send(conv, { type: 'text', content: 'admin' });
    const info = await p.c('m1').groups.info('club');
    assert.deepEqual([info.muteAll, info.exempt, info.memberCount, info.ownerId], [true, ['m2'], 4, 'owner']);
    // Pages of members.
    const page1 = await p.c('m1').groups.members('club', '', 2);
    const page2 = await p.c('m1').groups.members('club', page1.next, 2);
    assert.deepEqual(
      [...page1.members, ...page2.members].map((m) => m.userId),
      ['adm', 'm1', 'm2', 'owner'],
    );
    // The owner cannot leave before transferring; after the transfer the old owner is an admin.
    assert.equal(await codeOf(p.c('owner').groups.leave('club')), 'auth.forbidden');
    await p.c('owner').groups.transfer('club', 'm2');
    assert.equal((await p.c('m2').groups.info('club')).ownerId, 'm2');
    assert.equal(await codeOf(p.c('owner').groups.dismiss('club')), 'auth.forbidden');
    await p.c('owner').groups.leave('club');
    assert.equal(await codeOf(p.c('owner').send(conv, { type: 'text', content: 'x' })), 'send.not_member');
    await p.c('m2').groups.dismiss('club');
    assert.equal(await codeOf(p.c('m2').send(conv, { type: 'text', content: 'x' })), 'conv.not_found');
    await until(() => p.seen('adm', conv).at(-1)?.type === 'tidings.group.dismissed', 'adm to see the dismissal');
  } finally {
    await p.close();
    await node.dispose();
  }
});
