import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roomConvId } from '@tidings/sdk';
import { testNode } from './helpers/node.ts';
import { codeOf, people as peopleOf, until } from './helpers/people.ts';

type Node = Awaited<ReturnType<typeof testNode>>;
const people = (node: Node, names: string[]) => peopleOf(node, names, { minMs: 10, maxMs: 50 });

test('chatrooms - join, same order for every member, recent window on join, attributes, kick, ban, mute, destroy', async () => {
  const node = await testNode();
  const p = people(node, ['host', 'ann', 'ben', 'late', 'eve']);
  const conv = roomConvId('live');
  try {
    await p.connect();
    await p.c('host').rooms.create('live');
    assert.equal(await codeOf(p.c('ann').rooms.create('live')), 'conv.exists');
    assert.equal(
      await codeOf(p.c('eve').rooms.send('live', { type: 'text', content: 'not joined' })),
      'send.not_member',
    );
    for (const n of ['host', 'ann', 'ben']) await p.c(n).rooms.join('live');
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        p.c(['host', 'ann', 'ben'][i % 3]!).rooms.send('live', { type: 'text', content: `m${i}` }),
      ),
    );
    await until(() => ['host', 'ann', 'ben'].every((n) => p.c(n).lastSeq(conv) === 60), 'everyone at 60');
    const ids = (n: string) => p.seen(n, conv).map((m) => m.msgId);
    assert.deepEqual(ids('ann'), ids('host'));
    assert.deepEqual(ids('ben'), ids('host'));
    assert.deepEqual(
      p.seen('ann', conv).map((m) => m.seq),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    // A late joiner gets the recent window (50 by default), then live messages.
    const info = await p.c('late').rooms.join('live');
    assert.equal(info.memberCount, 4);
    assert.deepEqual(
      p.seen('late', conv).map((m) => m.seq),
      Array.from({ length: 50 }, (_, i) => i + 11),
    );
    // Attributes, with notifications in the stream.
    await p.c('host').rooms.setAttrs('live', { topic: 'launch', mood: 'good' });
    await p.c('host').rooms.deleteAttrs('live', ['mood']);
    assert.deepEqual((await p.c('ann').rooms.info('live')).attrs, { topic: 'launch' });
    await until(
      () => p.seen('late', conv).at(-1)?.type === 'tidings.room.attrs_deleted',
      'late to see the attribute entries',
    );
    assert.equal(await codeOf(p.c('ann').rooms.setAttrs('live', { x: 'y' })), 'auth.forbidden');
    // Mute, kick, ban.
    await p.c('host').rooms.mute('live', 'ann', Date.now() + 60_000);
    assert.equal(await codeOf(p.c('ann').rooms.send('live', { type: 'text', content: 'x' })), 'send.muted');
    await p.c('host').rooms.kick('live', 'ben');
    assert.equal(await codeOf(p.c('ben').rooms.send('live', { type: 'text', content: 'x' })), 'send.not_member');
    await p.c('host').rooms.ban('live', 'eve');
    assert.equal(await codeOf(p.c('eve').rooms.join('live')), 'room.banned');
    await p.c('host').rooms.destroy('live');
    await until(() => p.seen('late', conv).at(-1)?.type === 'tidings.room.destroyed', 'late to see the destruction');
    assert.equal(await codeOf(p.c('late').rooms.send('live', { type: 'text', content: 'x' })), 'conv.not_found');
    for (const n of ['host', 'ann', 'late']) {
      const seqs = p.seen(n, conv).map((m) => m.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `${n} saw seqs in order`,
      );
      assert.equal(new Set(seqs).size, seqs.length, `${n} saw no seq twice`);
    }
  } finally {
    await p.close();
    await node.dispose();
  }
});

test('chatrooms - overload: low priority is shed first, high never, every shed run is announced by one marker', async () => {
  const node = await testNode();
  const p = people(node, ['a', 'b']);
  const conv = roomConvId('busy');
  try {
    await p.connect();
    // A tight policy for this app (rooms created from now on): 10 messages/s, burst 10.
    await setPolicy(node, { ratePerSecond: 10, burst: 10 });
    await p.c('a').rooms.create('busy');
    await p.c('a').rooms.join('busy');
    await p.c('b').rooms.join('busy');
    const sends = [];
    for (let i = 0; i < 60; i++)
      sends.push(
        p.c('a').rooms.send('busy', { type: 'text', content: `x${i}`, priority: i % 3 === 0 ? 'high' : 'low' }),
      );
    const acks = await Promise.all(sends);
    const high = acks.filter((_, i) => i % 3 === 0);
    await until(() => p.c('b').lastSeq(conv) >= 60, 'b to reach the end (markers included)');
    const bSeen = p.seen('b', conv);
    const markers = bSeen.filter((m) => m.type === 'tidings.skipped');
    assert.ok(markers.length > 0, 'something was shed');
    // Every high-priority message reached b.
    const got = new Set(bSeen.map((m) => m.msgId));
    for (const h of high) assert.ok(got.has(h.msgId), `high ${h.seq} delivered`);
    // b's stream covers 1..60 exactly once: messages plus marker ranges.
    let next = 1;
    for (const m of bSeen) {
      assert.equal(m.seq, next, 'no gap, no overlap');
      next = (m.coversTo ?? m.seq) + 1;
    }
    assert.equal(next, 61);
    const shed = markers.reduce(
      (n, m) => n + (JSON.parse(new TextDecoder().decode(m.content)) as { count: number }).count,
      0,
    );
    assert.equal(shed + bSeen.length - markers.length, 60);
    // The sender's own stream agrees with b's.
    await until(() => p.c('a').lastSeq(conv) >= 60, 'a to reach the end');
    assert.deepEqual(
      p.seen('a', conv).map((m) => m.msgId),
      bSeen.map((m) => m.msgId),
    );
  } finally {
    await p.close();
    await node.dispose();
  }
});

/** Sets the dev app's chatroom policy through the signed server API. */
async function setPolicy(node: Node, policy: { ratePerSecond: number; burst: number }): Promise<void> {
  const { signRequest, newNonce } = await import('@tidings/server-sdk');
  const app = node.info.devApp!;
  const body = JSON.stringify(policy);
  const url = '/v1/chatrooms/policy';
  const timestamp = String(Date.now());
  const nonce = newNonce();
  const headers = signRequest(app.appSecret, {
    appKey: app.appKey,
    timestamp,
    nonce,
    method: 'PUT',
    url,
    body: new TextEncoder().encode(body),
  });
  const res = await fetch(node.info.httpUrl + url, {
    method: 'PUT',
    headers: {
      ...headers,
      'x-tidings-app': app.appKey,
      'x-tidings-timestamp': timestamp,
      'x-tidings-nonce': nonce,
      'content-type': 'application/json',
    },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

test('chatrooms - 600 members, so each flush of the fan-out is long enough to yield mid-way: every member sees every entry once, in seq order', async () => {
  // 512 connections is where a flush starts to yield (gateway/turn-writes.ts); entries sent while one runs join it.
  const node = await testNode({ rateConnectsPerIp: 0 });
  const names = Array.from({ length: 600 }, (_, i) => `m${i}`);
  const p = people(node, names);
  const conv = roomConvId('big');
  try {
    await p.connect();
    await p.c('m0').rooms.create('big');
    for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map((n) => p.c(n).rooms.join('big')));
    const senders = names.slice(0, 10);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => p.c(senders[i % senders.length]!).rooms.send('big', { type: 'text', content: `e${i}` })),
    );
    await until(() => names.every((n) => p.c(n).lastSeq(conv) >= 40), 'every member at seq 40', 30_000);
    const want = p.seen('m0', conv).map((m) => m.msgId);
    assert.equal(want.length, 40);
    for (const n of names) {
      const seen = p.seen(n, conv);
      assert.deepEqual(
        seen.map((m) => m.seq),
        Array.from({ length: 40 }, (_, i) => i + 1),
        `${n} saw every seq once, in order`,
      );
      assert.deepEqual(
        seen.map((m) => m.msgId),
        want,
        `${n} saw the same entries as m0`,
      );
    }
  } finally {
    await p.close();
    await node.dispose();
  }
});
