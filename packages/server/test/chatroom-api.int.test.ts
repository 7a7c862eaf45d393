import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, roomConvId, TidingsError, type Message, type TidingsClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { createAdminClient, createServerClient, ServerApiError, type ServerClient } from '@tidings/server-sdk';
import { startCluster } from './helpers/cluster.ts';
import { testNode } from './helpers/node.ts';
import { people as peopleOf, until } from './helpers/people.ts';

type Node = Awaited<ReturnType<typeof testNode>>;

/** The server SDK client of the node's development app (the app the SDK users belong to). */
const devClient = (node: Node): ServerClient => {
  const app = node.info.devApp!;
  return createServerClient({ baseUrl: node.info.httpUrl, appKey: app.appKey, appSecret: app.appSecret, retries: 0 });
};

/** 'ok', or the code of the server API (or SDK) error a call failed with. */
async function apiCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof ServerApiError || e instanceof TidingsError) return e.code;
    throw e;
  }
}

const text = (m: Message): string => new TextDecoder().decode(m.content);

/** Every member saw the same entries, with seqs 1..n in order and none twice. */
function assertOneOrder(streams: Message[][], n: number): void {
  for (const s of streams) {
    assert.deepEqual(
      s.map((m) => m.seq),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    assert.deepEqual(
      s.map((m) => m.msgId),
      streams[0]!.map((m) => m.msgId),
    );
  }
}

test("chatroom API - a backend send takes its place in the room's one seq order, between members' sends; a resend with the same key is delivered once", async () => {
  const node = await testNode();
  const p = peopleOf(node, ['ann', 'ben'], { minMs: 10, maxMs: 50 });
  const tidings = devClient(node);
  const conv = roomConvId('live');
  try {
    await p.connect();
    await tidings.chatrooms.create('live');
    await p.c('ann').rooms.join('live');
    await p.c('ben').rooms.join('live');
    // 20 member sends (paced, so they span the API sends) and 20 API sends at the same time: as the app,
    // and on behalf of carol, who never joins.
    const member = (async () => {
      const acks = [];
      for (let i = 0; i < 20; i++) {
        acks.push(await p.c(i % 2 ? 'ann' : 'ben').rooms.send('live', { type: 'text', content: `member ${i}` }));
        await sleep(5);
      }
      return acks;
    })();
    const api = Array.from({ length: 20 }, (_, i) =>
      tidings.messages.sendRoom('live', {
        type: 'text',
        content: `api ${i}`,
        idempotencyKey: `api-${i}`,
        ...(i % 2 ? { from: 'carol' } : {}),
      }),
    );
    const [memberAcks, apiAcks] = await Promise.all([member, Promise.all(api)]);
    await until(() => p.c('ann').lastSeq(conv) === 40 && p.c('ben').lastSeq(conv) === 40, 'both members at 40');
    assertOneOrder([p.seen('ann', conv), p.seen('ben', conv)], 40);
    assert.deepEqual(new Set([...memberAcks, ...apiAcks].map((a) => a.seq)).size, 40, 'every send its own seq');
    // The API sends keep their call order (the server SDK runs one room's calls in a lane) and say who sent them.
    const bySeq = new Map(p.seen('ann', conv).map((m) => [m.seq, m]));
    apiAcks.forEach((a, i) => {
      const m = bySeq.get(a.seq)!;
      assert.deepEqual(
        [text(m), m.senderId, m.senderDevice, m.msgId, a.convId, a.duplicate, a.shed],
        [`api ${i}`, i % 2 ? 'carol' : '@system', 'server-api', a.msgId, conv, false, false],
      );
    });
    assert.ok(
      apiAcks.every((a, i) => i === 0 || a.seq > apiAcks[i - 1]!.seq),
      'API sends in call order',
    );
    // Interleaved: not all member sends before (or after) all API sends.
    const kinds = p.seen('ann', conv).map((m) => m.senderDevice === 'server-api');
    assert.ok(
      kinds.indexOf(true) < kinds.lastIndexOf(false) && kinds.indexOf(false) < kinds.lastIndexOf(true),
      `interleaved: ${kinds.map(Number).join('')}`,
    );

    // A resend with the same key (same sender) answers the original and is not delivered again.
    const again = await tidings.messages.sendRoom('live', {
      type: 'text',
      content: 'api 1, retried',
      idempotencyKey: 'api-1',
      from: 'carol',
    });
    assert.deepEqual([again.seq, again.msgId, again.duplicate], [apiAcks[1]!.seq, apiAcks[1]!.msgId, true]);
    // The same key from another sender is another message.
    const other = await tidings.messages.sendRoom('live', {
      type: 'text',
      content: new Uint8Array([0, 255, 1]),
      idempotencyKey: 'api-1',
    });
    assert.deepEqual([other.seq, other.duplicate], [41, false]);
    await p.c('ann').rooms.send('live', { type: 'text', content: 'after' });
    await until(() => p.c('ben').lastSeq(conv) === 42, 'ben at 42');
    assertOneOrder([p.seen('ann', conv), p.seen('ben', conv)], 42);
    assert.equal(p.seen('ben', conv).filter((m) => m.msgId === apiAcks[1]!.msgId).length, 1);
    assert.deepEqual([...p.seen('ben', conv)[40]!.content], [0, 255, 1]);
    // Sending made nobody a member.
    assert.equal((await tidings.chatrooms.info('live')).memberCount, 2);
  } finally {
    await p.close();
    await node.dispose();
  }
});

test('chatroom API - unknown room, another app, banned, muted and deleted senders are refused, and nothing reaches the members', async () => {
  const node = await testNode();
  const p = peopleOf(node, ['ann'], { minMs: 10, maxMs: 50 });
  const tidings = devClient(node);
  const admin = createAdminClient({ baseUrl: node.info.httpUrl, operatorToken: node.info.operatorToken!, retries: 0 });
  const appB = await admin.apps.create('B');
  const b = createServerClient({
    baseUrl: node.info.httpUrl,
    appKey: appB.appKey,
    appSecret: appB.appSecret,
    retries: 0,
  });
  const conv = roomConvId('live');
  const m = (from?: string) => ({ type: 'text', content: 'x', ...(from ? { from } : {}) });
  try {
    await p.connect();
    assert.equal(await apiCode(tidings.messages.sendRoom('nowhere', m())), 'conv.not_found');
    await tidings.chatrooms.create('live');
    await p.c('ann').rooms.join('live');
    // App B's signature reaches only app B's rooms: its room of the same name is another room.
    assert.equal(await apiCode(b.messages.sendRoom('live', m())), 'conv.not_found');
    await b.chatrooms.create('live');
    assert.equal((await b.messages.sendRoom('live', m())).seq, 1);
    // Nor can the dev app touch B's room on any chatroom route: B's room stays as it was.
    await b.chatrooms.create('b-only');
    await b.chatrooms.setAttrs('b-only', { k: 'v' });
    const rooms = tidings.chatrooms;
    for (const call of [
      rooms.info('b-only'),
      rooms.kick('b-only', 'x'),
      rooms.ban('b-only', 'x'),
      rooms.unban('b-only', 'x'),
      rooms.mute('b-only', 'x', 0),
      rooms.setAttrs('b-only', { k: 'w' }),
      rooms.deleteAttrs('b-only', ['k']),
      rooms.destroy('b-only'),
      tidings.messages.sendRoom('b-only', m()),
    ])
      assert.equal(await apiCode(call), 'conv.not_found');
    assert.deepEqual((await b.chatrooms.info('b-only')).attrs, { k: 'v' });
    assert.equal((await b.chatrooms.info('b-only')).maxSeq, 1);
    // Banned, muted (until unmuted) and deleted users cannot be sent as.
    await tidings.chatrooms.ban('live', 'eve');
    assert.equal(await apiCode(tidings.messages.sendRoom('live', m('eve'))), 'room.banned');
    await tidings.chatrooms.mute('live', 'dan', Date.now() + 60_000);
    assert.equal(await apiCode(tidings.messages.sendRoom('live', m('dan'))), 'send.muted');
    await tidings.users.upsert('zed');
    await tidings.users.delete('zed');
    assert.equal(await apiCode(tidings.messages.sendRoom('live', m('zed'))), 'user.deleted');
    assert.equal(
      await apiCode(tidings.messages.sendRoom('live', { type: 'text', content: 'x'.repeat(40_000) })),
      'send.content_too_large',
    );
    assert.equal(
      await apiCode(
        tidings.request({
          method: 'POST',
          path: '/v1/chatrooms/live/messages',
          body: { type: 'text', content: '%%', encoding: 'base64', idempotencyKey: 'k' },
        }),
      ),
      'protocol.invalid_request',
    );
    // Only the ban and mute notifications reached ann.
    await tidings.chatrooms.mute('live', 'dan', 0);
    const ok = await tidings.messages.sendRoom('live', m('dan'));
    await until(() => p.c('ann').lastSeq(conv) === ok.seq, 'ann to reach the last send');
    assert.deepEqual(
      p.seen('ann', conv).map((x) => x.type),
      ['tidings.room.banned', 'tidings.room.muted', 'tidings.room.unmuted', 'text'],
    );
    // A destroyed room is unknown again.
    await tidings.chatrooms.destroy('live');
    assert.equal(await apiCode(tidings.messages.sendRoom('live', m())), 'conv.not_found');
  } finally {
    await p.close();
    await node.dispose();
  }
});

test('chatroom API - the server SDK manages a room: attributes, kick, ban and unban, info, all in the stream members see', async () => {
  const node = await testNode();
  const p = peopleOf(node, ['ann', 'ben'], { minMs: 10, maxMs: 50 });
  const rooms = devClient(node).chatrooms;
  const conv = roomConvId('club');
  try {
    await p.connect();
    assert.deepEqual(await rooms.create('club', { admins: ['ann'] }), { roomId: 'club', seq: 0 });
    await p.c('ann').rooms.join('club');
    await p.c('ben').rooms.join('club');
    await rooms.setAttrs('club', { topic: 'jazz', mood: 'calm' });
    assert.equal((await rooms.deleteAttrs('club', ['mood', 'absent'])).seq, 2);
    assert.equal((await rooms.deleteAttrs('club', ['absent'])).seq, 0);
    const info = await rooms.info('club');
    assert.deepEqual([info.memberCount, info.attrs, info.maxSeq], [2, { topic: 'jazz' }, 2]);
    await rooms.kick('club', 'ben');
    await until(() => p.c('ann').lastSeq(conv) === 3, 'ann to see the kick');
    assert.equal((await rooms.info('club')).memberCount, 1);
    await rooms.ban('club', 'ben');
    assert.equal(await apiCode(p.c('ben').rooms.join('club')), 'room.banned');
    await rooms.unban('club', 'ben');
    await p.c('ben').rooms.join('club');
    assert.deepEqual(
      p.seen('ann', conv).map((m) => m.type),
      ['tidings.room.attrs_set', 'tidings.room.attrs_deleted', 'tidings.room.kicked', 'tidings.room.banned'],
    );
  } finally {
    await p.close();
    await node.dispose();
  }
});

test("chatroom API - overload: the room's policy applies to backend sends; low is shed first, high never, the gap announced by a marker", async () => {
  const node = await testNode();
  const p = peopleOf(node, ['ann'], { minMs: 10, maxMs: 50 });
  const tidings = devClient(node);
  const conv = roomConvId('busy');
  try {
    await p.connect();
    await tidings.chatrooms.setPolicy({ ratePerSecond: 5, burst: 5 });
    await tidings.chatrooms.create('busy');
    await p.c('ann').rooms.join('busy');
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        tidings.messages.sendRoom('busy', { type: 'text', content: `${i}`, priority: i % 3 === 0 ? 'high' : 'low' }),
      ),
    );
    assert.ok(
      acks.some((a) => a.shed),
      'something was shed',
    );
    assert.ok(
      acks.every((a, i) => i % 3 !== 0 || !a.shed),
      'high never shed',
    );
    assert.ok(acks.every((a) => a.shed === (a.msgId === '')));
    await until(() => p.c('ann').lastSeq(conv) >= 30, 'ann to reach 30 (markers included)');
    let next = 1;
    for (const m of p.seen('ann', conv)) {
      assert.equal(m.seq, next, 'no gap, no overlap');
      next = (m.coversTo ?? m.seq) + 1;
    }
    assert.equal(p.seen('ann', conv).filter((m) => m.type === 'text').length, acks.filter((a) => !a.shed).length);
  } finally {
    await p.close();
    await node.dispose();
  }
});

test("chatroom API - cluster: a send through a node that does not own the room goes to its owner and takes its place in the room's one order", async () => {
  const cluster = await startCluster({ nodes: 2 });
  const [n1, n2] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
  const app = cluster.devApp;
  const api = (n: typeof n1) =>
    createServerClient({ baseUrl: n.httpUrl, appKey: app.appKey, appSecret: app.appSecret, retries: 0 });
  const conv = roomConvId('hall');
  const seen = new Map<string, Message[]>();
  const member = (user: string, url: string): TidingsClient => {
    const c = createClient({
      url,
      token: () => issueUserToken(app, user, 60),
      deviceId: `${user}-d`,
      serverKey: cluster.serverKeys(),
    });
    seen.set(user, []);
    c.on('message', (m) => {
      if (m.convId === conv) seen.get(user)!.push(m);
    });
    c.on('error', () => {});
    return c;
  };
  // The room is created through node 1, which owns it; ann is on node 1, ben on node 2.
  const ann = member('ann', n1.wsUrl);
  const ben = member('ben', n2.wsUrl);
  try {
    await Promise.all([ann.connect(), ben.connect()]);
    await api(n1).chatrooms.create('hall');
    await ann.rooms.join('hall');
    await ben.rooms.join('hall');
    const via2 = api(n2);
    const sends = [
      ...Array.from({ length: 10 }, (_, i) =>
        via2.messages.sendRoom('hall', { type: 'text', content: `api ${i}`, idempotencyKey: `k${i}` }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? ann : ben).rooms.send('hall', { type: 'text', content: `member ${i}` }),
      ),
    ];
    const acks = await Promise.all(sends);
    await until(() => ann.lastSeq(conv) === 20 && ben.lastSeq(conv) === 20, 'both members at 20', 10_000);
    assertOneOrder([seen.get('ann')!, seen.get('ben')!], 20);
    assert.equal(new Set(acks.map((a) => a.seq)).size, 20);
    // A retry through the other node finds the original on the owner.
    const again = await api(n1).messages.sendRoom('hall', { type: 'text', content: 'api 3', idempotencyKey: 'k3' });
    assert.deepEqual([again.seq, again.duplicate], [acks[3]!.seq, true]);
    await sleep(200);
    assert.equal(ann.lastSeq(conv), 20);
    assert.equal(seen.get('ben')!.length, 20);
  } finally {
    await Promise.all([ann.close(), ben.close()]);
    await cluster.cleanup();
  }
});
