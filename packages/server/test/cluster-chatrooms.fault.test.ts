import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, roomConvId, type Message, type TidingsClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { check, createRecorder, type Recorder } from '@tidings/testkit';
import { createNatsBus } from '../src/bus/nats/nats-bus.ts';
import { NATS_URL } from '../src/bus/nats/nats.fixture.ts';
import { decodeEntry, roomTopic } from '../src/services/rooms/room-wire.ts';
import { startCluster, type Cluster } from './helpers/cluster.ts';
import { waitFor } from './helpers/conv-load.ts';
import { checkRoom } from './helpers/room-check.ts';

const SEED = Number(process.env.TIDINGS_FAULT_SEED ?? Date.now() % 100_000);

/** A counter's value from a node's /metrics (0 when absent). */
async function counter(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** Room members as SDK clients, each recording its surfaced stream for the room and its history for the testkit checker. */
function members(cluster: Cluster, room: string) {
  const app = cluster.devApp;
  const conv = roomConvId(room);
  const streams = new Map<string, Message[]>();
  const recorders: Recorder[] = [];
  const clients: TidingsClient[] = [];
  return {
    conv,
    streams,
    clients,
    add(user: string, urls: string[]): TidingsClient {
      const c = createClient({ url: urls, token: () => issueUserToken(app, user, 3600), deviceId: user, backoff: { minMs: 20, maxMs: 300 }, connectTimeoutMs: 1000, pingIntervalMs: 500, serverKey: cluster.serverKeys() });
      const list: Message[] = [];
      streams.set(user, list);
      const rec = createRecorder(user, user);
      recorders.push(rec);
      c.on('queued', (q) => rec.sent(q.convId, q.clientMsgId));
      c.on('ack', (a) => rec.acked(a.convId, a.clientMsgId, a));
      c.on('message', (m) => {
        rec.surfaced(m.convId, m);
        if (m.convId === conv) list.push(m);
      });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    /** Every member at `end`, then the stream check and the testkit history check. */
    async verify(end: number, note: string): Promise<void> {
      await waitFor(
        () => clients.every((c) => c.lastSeq(conv) >= end),
        () => `behind ${end}: ${clients.filter((c) => c.lastSeq(conv) < end).map((c) => `${c.deviceId}@${c.lastSeq(conv)}`).join(' ')}`,
        30_000,
      );
      assert.deepEqual(checkRoom(streams, end).slice(0, 10), [], note);
      const report = check(recorders, { members: () => [...streams.keys()] });
      assert.ok(report.ok, `${note}\n${report.format()}`);
    },
    close: () => Promise.all(clients.map((c) => c.close())),
  };
}

/** Each sender sends a message every 20-35 ms (not awaiting acks: the SDK pipelines and resends) until `stopped()`. */
function roomTraffic(senders: readonly TidingsClient[], room: string, stopped: () => boolean): Promise<void[]> {
  return Promise.all(
    senders.map(async (c, i) => {
      for (let k = 0; !stopped(); k++) {
        c.rooms.send(room, { type: 'text', content: `${i}#${k}` }).catch(() => {});
        await sleep(20 + ((SEED + i * 7 + k) % 15));
      }
    }),
  );
}

/** Every entry a room topic carried, seen by a connection of the test's own: owner epoch, seq range and msgId. */
async function watchRoom(cluster: Cluster, appKey: string, room: string) {
  const bus = await createNatsBus({ servers: NATS_URL, prefix: cluster.prefix });
  const seen: Array<{ epoch: number; seq: number; msgId: string; marker: boolean; ts: number }> = [];
  bus.subscribe(roomTopic(appKey, room), (m) => {
    const e = decodeEntry(m.payload);
    if (e) seen.push({ epoch: e.epoch, seq: e.seq, msgId: e.msgId, marker: e.msgId.startsWith('skip:'), ts: e.ts });
  });
  await sleep(100);
  return {
    seen,
    /**
     * No seq carries two different messages, and once a newer owner spoke no older one published
     * an entry it made later. `frozenAt`: an entry the old owner made before it was frozen may
     * still reach the bus after the new owner's (it sat in the NATS client's write buffer, as a
     * delayed packet would): member nodes drop it by its epoch, and its seq is below the new
     * owner's, so it is not a fencing failure; one made after is.
     */
    problems(frozenAt = Infinity): string[] {
      const out: string[] = [];
      const bySeq = new Map<number, string>();
      let newest = 0;
      for (const e of seen) {
        if (e.epoch < newest && e.ts > frozenAt) out.push(`epoch ${e.epoch} published seq ${e.seq}, made at ${e.ts} after it was frozen at ${frozenAt}, after epoch ${newest} had`);
        newest = Math.max(newest, e.epoch);
        if (e.marker) continue;
        const prev = bySeq.get(e.seq);
        if (prev !== undefined && prev !== e.msgId) out.push(`seq ${e.seq} carried ${prev} and ${e.msgId}`);
        bySeq.set(e.seq, e.msgId);
      }
      return out;
    },
    close: () => bus.close(),
  };
}

test('cluster chatrooms - members on two of three nodes see one order; each entry crosses the bus once per node with members and never to the owner node without members; a dead member node\'s members are forgotten', async () => {
  const cluster = await startCluster({ nodes: 3, env: { TIDINGS_PRESENCE_HEARTBEAT_MS: '200', TIDINGS_PRESENCE_TTL_MS: '1500' } });
  const [n1, n2, n3] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0], Cluster['nodes'][0]];
  const room = 'hall';
  const m = members(cluster, room);
  // The room is created through node 3, which therefore owns it, and nobody joins there.
  const creator = createClient({ url: n3.wsUrl, token: () => issueUserToken(cluster.devApp, 'creator', 3600), serverKey: cluster.serverKeys() });
  try {
    await creator.connect();
    await creator.rooms.create(room);
    await creator.close();
    const senders = [m.add('a1', [n1.wsUrl]), m.add('a2', [n1.wsUrl]), m.add('b1', [n2.wsUrl]), m.add('b2', [n2.wsUrl])];
    m.add('a3', [n1.wsUrl]);
    m.add('b3', [n2.wsUrl]);
    await Promise.all(m.clients.map((c) => c.connect()));
    for (const c of m.clients) await c.rooms.join(room);
    const names = ['tidings_bus_published_total', 'tidings_bus_received_total'];
    const snapshot = () => Promise.all([n1, n2, n3].map(async (n) => Promise.all(names.map((x) => counter(n.httpUrl, x)))));
    const before = await snapshot();
    const PER = 25;
    await Promise.all(
      senders.map(async (c, i) => {
        for (let k = 0; k < PER; k++) await c.rooms.send(room, { type: 'text', content: `${i}#${k}` });
      }),
    );
    const end = senders.length * PER;
    await m.verify(end, 'one order on both nodes');
    const after = await snapshot();
    const delta = after.map((node, i) => node.map((v, j) => v - before[i]![j]!));
    const [[pub1, rec1], [pub2, rec2], [pub3, rec3]] = delta as [[number, number], [number, number], [number, number]];
    assert.equal(pub3, end, `the owner (node 3) publishes each entry once: ${JSON.stringify(delta)}`);
    assert.equal(rec1, end, `node 1 (members) receives each entry once: ${JSON.stringify(delta)}`);
    assert.equal(rec2, end, `node 2 (members) receives each entry once: ${JSON.stringify(delta)}`);
    assert.equal(rec3, 0, `node 3 has no members and receives nothing: ${JSON.stringify(delta)}`);
    assert.equal(pub1 + pub2, 0, `member nodes forward sends as requests, they publish no entry: ${JSON.stringify(delta)}`);
    // A member node dies: the owner forgets its members once presence drops it.
    assert.equal((await senders[0]!.rooms.info(room)).memberCount, 6);
    await n2.kill('SIGKILL');
    let lastCount = -1;
    for (const end = Date.now() + 15_000; lastCount !== 3 && Date.now() < end; await sleep(200)) lastCount = Number((await senders[0]!.rooms.info(room)).memberCount);
    assert.equal(lastCount, 3, 'the owner counts only the members of live nodes');
  } finally {
    await m.close();
    await cluster.cleanup();
  }
});

test(`cluster chatrooms fault - the owner node is killed with SIGKILL mid-traffic: another node takes the room above the old reservation with its attributes and bans, members fail over and see no duplicate, no divergence, every gap marked (seed ${SEED})`, async () => {
  const cluster = await startCluster({ nodes: 3, env: { TIDINGS_ROOM_LEASE_MS: '1500' } });
  const [n1, n2, n3] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0], Cluster['nodes'][0]];
  const room = 'arena';
  const m = members(cluster, room);
  const watch = await watchRoom(cluster, cluster.devApp.appKey, room);
  const ring = [n1.wsUrl, n2.wsUrl, n3.wsUrl];
  const urls = (i: number): string[] => [...ring.slice(i % 3), ...ring.slice(0, i % 3)];
  // The host creates the room through node 1, which owns it.
  const host = m.add('host', urls(0));
  for (let i = 0; i < 9; i++) m.add(`m${i}`, urls(i));
  let stop = false;
  try {
    await Promise.all(m.clients.map((c) => c.connect()));
    await host.rooms.create(room);
    for (const c of m.clients) await c.rooms.join(room);
    // State that must outlive the owner: attributes (sealed at rest) and a ban.
    await host.rooms.setAttrs(room, { topic: 'launch day' });
    await host.rooms.ban(room, 'eve');
    const traffic = roomTraffic(m.clients.slice(0, 6), room, () => stop);
    await sleep(1500);
    await n1.kill('SIGKILL');
    await sleep(5000);
    stop = true;
    await traffic;
    await waitFor(() => m.clients.every((c) => c.outboxSize === 0), () => 'outboxes to empty', 30_000);
    await sleep(300);
    const info = await m.clients[1]!.rooms.info(room);
    const end = Number(info.maxSeq);
    assert.ok(end > 100_000, `the new owner continues above the old reservation (room at ${end})`);
    assert.deepEqual(info.attrs, { topic: 'launch day' }, 'the attributes moved with the room');
    const eve = createClient({ url: n2.wsUrl, token: () => issueUserToken(cluster.devApp, 'eve', 3600), serverKey: cluster.serverKeys() });
    try {
      await eve.connect();
      await assert.rejects(eve.rooms.join(room), (err: { code?: string }) => err.code === 'room.banned', 'the ban moved with the room');
    } finally {
      await eve.close();
    }
    await m.verify(end, `seed=${SEED}`);
    assert.deepEqual(watch.problems(), [], `seed=${SEED}`);
    const epochs = new Set(watch.seen.map((e) => e.epoch));
    assert.deepEqual([...epochs].sort(), [1, 2], 'one takeover');
    const markers = [...m.streams.values()].flat().filter((x) => x.coversTo !== undefined).length;
    console.log(`# seed ${SEED}: room at seq ${end}; ${watch.seen.length} entries on the bus; ${markers} markers surfaced`);
  } finally {
    stop = true;
    await watch.close();
    await m.close();
    await cluster.cleanup();
  }
});

test(`cluster chatrooms fault - an owner frozen with SIGSTOP past its lease, then resumed, publishes nothing it made after the freeze: its members moved on, the new owner's seqs never collide with its own (seed ${SEED})`, async () => {
  const cluster = await startCluster({ nodes: 3, env: { TIDINGS_ROOM_LEASE_MS: '1500' } });
  const [n1, n2, n3] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0], Cluster['nodes'][0]];
  const room = 'stage';
  const m = members(cluster, room);
  const watch = await watchRoom(cluster, cluster.devApp.appKey, room);
  // The host and two members sit on node 1 (the owner): frozen with it, they fail over by heartbeat.
  const host = m.add('host', [n1.wsUrl, n2.wsUrl, n3.wsUrl]);
  const onFrozen = [m.add('f1', [n1.wsUrl, n3.wsUrl]), m.add('f2', [n1.wsUrl, n2.wsUrl])];
  const others = [m.add('o1', [n2.wsUrl]), m.add('o2', [n3.wsUrl]), m.add('o3', [n2.wsUrl, n3.wsUrl])];
  let stop = false;
  try {
    await Promise.all(m.clients.map((c) => c.connect()));
    await host.rooms.create(room);
    for (const c of m.clients) await c.rooms.join(room);
    const traffic = roomTraffic([host, ...onFrozen, ...others], room, () => stop);
    await sleep(1000);
    const frozenAt = Date.now();
    process.kill(n1.pid, 'SIGSTOP');
    // Past the lease (1.5 s) and the clients' heartbeat timeout: the room moves, frozen-side clients reconnect elsewhere.
    await sleep(6000);
    const epochsWhileFrozen = new Set(watch.seen.map((e) => e.epoch));
    process.kill(n1.pid, 'SIGCONT');
    // The resumed node still holds sends that reached it while frozen; it must not publish them as the owner.
    await sleep(3000);
    stop = true;
    await traffic;
    await waitFor(() => m.clients.every((c) => c.outboxSize === 0), () => 'outboxes to empty', 30_000);
    await sleep(300);
    const end = Number((await others[0]!.rooms.info(room)).maxSeq);
    assert.ok(epochsWhileFrozen.has(2), 'another node took the room while the owner was frozen');
    assert.ok(end > 100_000, `the new owner continues above the old reservation (room at ${end})`);
    await m.verify(end, `seed=${SEED}`);
    assert.deepEqual(watch.problems(frozenAt), [], `seed=${SEED}`);
    assert.ok(n1.running, 'the resumed node is alive');
    console.log(`# seed ${SEED}: room at seq ${end}; ${watch.seen.length} entries on the bus`);
  } finally {
    stop = true;
    process.kill(n1.pid, 'SIGCONT');
    await watch.close();
    await m.close();
    await cluster.cleanup();
  }
});
