import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTcpFaultProxy, formatCounters } from '@tidings/testkit';
import { createChatLoad } from './helpers/chat-load.ts';
import { startCluster } from './helpers/cluster.ts';
import { freePort, killNatsServer, startNatsServer } from '../src/bus/nats/nats.fixture.ts';
import { POSTGRES_URL } from '../src/storage/postgres/pg.fixture.ts';
import { startPrivatePostgres } from '../src/storage/postgres/pg-private.fixture.ts';

const SEED = Number(process.env.TIDINGS_FAULT_SEED ?? Date.now() % 100_000);
const USERS = 30;
const SECOND = 6;
const DEVICES = USERS + SECOND;

const spawned = new Set<ChildProcess>();
after(async () => {
  for (const c of spawned) await killNatsServer(c);
});

/** Every surfaced history is clean and every send was stored exactly once. */
function assertClean(load: ReturnType<typeof createChatLoad>, expected: number, context: string): void {
  const report = load.check();
  assert.ok(report.ok, `${context}\n${report.format()}`);
  assert.equal(load.totalAcked(), expected, 'every send was acked exactly once');
}

test(`cluster fault - the NATS server is killed and restarted mid-traffic; lost pushes are healed by sync (seed ${SEED})`, async () => {
  // A private server on its own port: the shared one on 4222 is never touched.
  const port = await freePort();
  let nats = await startNatsServer(port);
  spawned.add(nats);
  const cluster = await startCluster({ nodes: 3, natsUrl: () => `nats://127.0.0.1:${port}` });
  const load = createChatLoad({ url: cluster.urls(), app: cluster.devApp, serverKey: cluster.serverKeys(), users: USERS, secondDevices: SECOND, seed: SEED, syncIntervalMs: 500 });
  const PER_PHASE = 30;
  try {
    await load.connect();
    for (let round = 0; round < 2; round++) {
      const traffic = load.traffic(PER_PHASE, 5);
      await sleep(50);
      await killNatsServer(nats);
      spawned.delete(nats);
      await traffic;
      // Sends go on during the outage: PostgreSQL is the record, only pushes are lost.
      await load.traffic(PER_PHASE, 5);
      await sleep(700);
      nats = await startNatsServer(port);
      spawned.add(nats);
    }
    await load.traffic(PER_PHASE, 5);
    await load.drain(60_000);
    assertClean(load, DEVICES * 5 * PER_PHASE, `seed=${SEED}`);
  } finally {
    await load.close();
    await cluster.cleanup();
  }
});

test(`cluster fault - PostgreSQL goes away (connections cut and refused) and hangs (stalled links), then comes back: nothing acked is lost (seed ${SEED})`, async () => {
  const proxy = await createTcpFaultProxy({ target: new URL(POSTGRES_URL).host, seed: SEED });
  const viaProxy = (): string => {
    const u = new URL(POSTGRES_URL);
    u.host = proxy.address;
    return u.toString();
  };
  const cluster = await startCluster({ nodes: 3, postgresUrl: viaProxy });
  const load = createChatLoad({ url: cluster.urls(), app: cluster.devApp, serverKey: cluster.serverKeys(), users: USERS, secondDevices: SECOND, seed: SEED + 1, syncIntervalMs: 1000 });
  const PER_PHASE = 25;
  try {
    await load.connect();
    for (let round = 0; round < 2; round++) {
      // Down: every link reset now, every new one reset at once, for 1.5 s.
      const traffic = load.traffic(PER_PHASE, 5);
      await sleep(30);
      proxy.cutAll();
      proxy.set({ cut: { everyMs: 10 } });
      await traffic;
      await sleep(1500);
      proxy.set({ cut: null });
      // Hung: links stay open but nothing moves for 3 s; sends wait.
      const stalled = load.traffic(PER_PHASE, 5);
      await sleep(30);
      // The pools reopen their links after the outage on demand: stall once links exist again.
      for (let waited = 0; proxy.connections === 0 && waited < 5000; waited += 20) await sleep(20);
      proxy.stall(3000);
      await stalled;
      await sleep(3200);
    }
    await load.traffic(PER_PHASE, 5);
    await load.drain(60_000);
    const stats = formatCounters(proxy.stats());
    assertClean(load, DEVICES * 5 * PER_PHASE, `seed=${SEED + 1} ${stats}`);
    assert.ok(proxy.stats().cuts >= 3 && proxy.stats().stalls >= 1, `the proxy must really have cut and stalled: ${stats}`);
  } finally {
    await load.close();
    await cluster.cleanup();
    await proxy.close();
  }
});

test(`cluster fault - PostgreSQL stopped with \`pg_ctl stop -m immediate\` mid-traffic and started again: sends wait or fail, nothing acked is lost, everything resumes (seed ${SEED})`, async () => {
  // A private server: the shared one is never stopped.
  const db = await startPrivatePostgres();
  const cluster = await startCluster({ nodes: 3, adminUrl: db.url }).catch(async (err: unknown) => {
    await db.destroy();
    throw err;
  });
  const load = createChatLoad({ url: cluster.urls(), app: cluster.devApp, serverKey: cluster.serverKeys(), users: USERS, secondDevices: SECOND, seed: SEED + 3, syncIntervalMs: 1000 });
  const PER_PHASE = 25;
  try {
    await load.connect();
    for (let round = 0; round < 2; round++) {
      const traffic = load.traffic(PER_PHASE, 5);
      await sleep(40);
      // Every backend killed at once, no shutdown checkpoint: a crash.
      await db.stopImmediate();
      // Sends go on while the database is down: they get retryable errors and stay in the SDK outboxes.
      const during = load.traffic(PER_PHASE, 5);
      await sleep(1500);
      // The outage really held sends back: they wait in the outboxes, unacknowledged.
      const waiting = load.devices.reduce((n, d) => n + d.client.outboxSize, 0);
      assert.ok(waiting > 0, 'sends made while the database is down wait for it');
      await db.start();
      await Promise.all([traffic, during]);
    }
    await load.traffic(PER_PHASE, 5);
    await load.drain(60_000);
    assertClean(load, DEVICES * 5 * PER_PHASE, `seed=${SEED + 3}`);
    for (const [conv, [n, max, seqs, ids]] of await cluster.storedSeqs()) {
      assert.deepEqual([max, seqs, ids], [n, n, n], `${conv}: ${n} rows, max seq ${max}, ${seqs} distinct seqs, ${ids} distinct msgIds`);
    }
  } finally {
    await load.close();
    await cluster.cleanup();
    await db.destroy();
  }
});

test(`cluster fault - one node partitioned from the bus: its devices catch up by anti-entropy sync without reconnecting (seed ${SEED})`, async () => {
  const proxy = await createTcpFaultProxy({ target: '127.0.0.1:4222', seed: SEED });
  // With conversation affinity: commit requests to and from the partitioned node are lost too, and must fall back.
  const cluster = await startCluster({
    nodes: 3,
    natsUrl: (n) => (n === 2 ? `nats://${proxy.address}` : 'nats://127.0.0.1:4222'),
    env: { TIDINGS_COMMIT_AFFINITY: '1', TIDINGS_PRESENCE_HEARTBEAT_MS: '300' },
  });
  const load = createChatLoad({ url: cluster.urls(), app: cluster.devApp, serverKey: cluster.serverKeys(), users: USERS, secondDevices: SECOND, seed: SEED + 2, syncIntervalMs: 500 });
  const PER_PHASE = 30;
  try {
    await load.connect();
    let reconnects = 0;
    for (const d of load.devices) d.client.on('state', (s) => void (s === 'reconnecting' && reconnects++));
    await load.traffic(PER_PHASE, 5);
    // Partition: node 2's NATS link is reset, and so is every attempt to re-establish it, for 3 s.
    proxy.cutAll();
    proxy.set({ cut: { everyMs: 10 } });
    await load.traffic(PER_PHASE, 5);
    await sleep(3000);
    proxy.set({ cut: null });
    await load.traffic(PER_PHASE, 5);
    await load.drain(60_000);
    assertClean(load, DEVICES * 3 * PER_PHASE, `seed=${SEED + 2} ${formatCounters(proxy.stats())}`);
    assert.equal(reconnects, 0, 'devices healed without reconnecting');
    assert.ok(proxy.stats().cuts >= 2, formatCounters(proxy.stats()));
  } finally {
    await load.close();
    await cluster.cleanup();
    await proxy.close();
  }
});
