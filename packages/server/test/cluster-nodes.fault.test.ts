import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { POSTGRES_URL } from '../src/storage/postgres/pg.fixture.ts';
import { createChatLoad } from './helpers/chat-load.ts';
import { startCluster, type Cluster } from './helpers/cluster.ts';

const SEED = Number(process.env.TIDINGS_FAULT_SEED ?? Date.now() % 100_000);
const USERS = 30;
const SECOND = 6;
const DEVICES = USERS + SECOND;

/** Every conversation in PostgreSQL holds seqs 1..n exactly once, each with its own msgId. */
async function assertGapless(cluster: Cluster, expectedTotal: number): Promise<void> {
  let total = 0;
  for (const [conv, [n, max, seqs, ids]] of await cluster.storedSeqs()) {
    assert.deepEqual([max, seqs, ids], [n, n, n], `${conv}: ${n} rows, max seq ${max}, ${seqs} distinct seqs, ${ids} distinct msgIds`);
    total += n;
  }
  assert.equal(total, expectedTotal, 'stored messages');
}

test(`cluster fault - 3 nodes, 36 devices, one node killed with SIGKILL and restarted again and again; clients fail over (seed ${SEED})`, async () => {
  // With conversation affinity: owners die too, and their conversations must commit elsewhere.
  const cluster = await startCluster({ nodes: 3, env: { TIDINGS_COMMIT_AFFINITY: '1', TIDINGS_PRESENCE_HEARTBEAT_MS: '300', TIDINGS_PRESENCE_TTL_MS: '2000' } });
  const load = createChatLoad({ url: cluster.urls(), app: cluster.devApp, serverKey: cluster.serverKeys(), users: USERS, secondDevices: SECOND, seed: SEED, syncIntervalMs: 1000 });
  const PHASES = 6;
  const PER_PHASE = 25;
  try {
    await load.connect();
    let unackedAtKills = 0;
    for (let phase = 0; phase < PHASES; phase++) {
      // Sends are not awaited: the kill lands with sends in flight on every node.
      const traffic = load.traffic(PER_PHASE, 5);
      await sleep(60 + ((phase * 53) % 120));
      unackedAtKills += load.devices.reduce((n, d) => n + d.client.outboxSize, 0);
      const victim = cluster.nodes[phase % 3]!;
      await victim.kill('SIGKILL');
      await traffic;
      await sleep(200);
      await victim.restart();
    }
    assert.ok(unackedAtKills > 0, 'kills must land while sends are unacked');
    await load.drain(60_000);
    const report = load.check();
    assert.ok(report.ok, `seed=${SEED}\n${report.format()}`);
    assert.equal(load.totalAcked(), DEVICES * PHASES * PER_PHASE, 'every send was acked exactly once');
    await assertGapless(cluster, DEVICES * PHASES * PER_PHASE);
  } finally {
    await load.close();
    await cluster.cleanup();
  }
});

test(`cluster fault - a node stopped with SIGSTOP mid-transaction beyond every lease and heartbeat timeout, then SIGCONT, never hands out a seq twice (seed ${SEED})`, async () => {
  // Node 1's connections carry their own application_name, so the test can see its transactions in pg_stat_activity.
  const tag = `tidings_frozen_${SEED}`;
  const cluster = await startCluster({ nodes: 3, postgresUrl: (n) => (n === 1 ? `${POSTGRES_URL}?application_name=${tag}` : POSTGRES_URL) });
  const load = createChatLoad({ url: cluster.urls(), app: cluster.devApp, serverKey: cluster.serverKeys(), users: USERS, secondDevices: SECOND, seed: SEED + 1, syncIntervalMs: 1000 });
  const PER_PHASE = 40;
  const openTx = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`, [tag]);
      return rows[0].n as number;
    } finally {
      await client.end();
    }
  };
  try {
    await load.connect();
    const frozen = cluster.nodes[0]!;
    let phases = 0;
    let caught = false;
    let unacked = 0;
    // Freeze the node while it holds an open transaction (row locks on its conversations); try a few times.
    for (let attempt = 0; attempt < 8 && !caught; attempt++) {
      phases++;
      const traffic = load.traffic(PER_PHASE, 2);
      await sleep(30 + attempt * 7);
      unacked = load.devices.reduce((n, d) => n + d.client.outboxSize, 0);
      process.kill(frozen.pid, 'SIGSTOP');
      caught = (await openTx()) > 0;
      if (!caught) process.kill(frozen.pid, 'SIGCONT');
      await traffic;
    }
    assert.ok(caught, 'the node must be frozen with a transaction open');
    try {
      // Its clients time out (2 heartbeats), fail over and resend, and wait on
      // its row locks until PostgreSQL ends its transaction (2 s idle timeout).
      await sleep(2500);
      phases++;
      await load.traffic(PER_PHASE, 2);
      await sleep(3000);
      assert.equal(await openTx(), 0, 'PostgreSQL ended the frozen transaction');
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    phases++;
    await load.traffic(PER_PHASE, 2);
    assert.ok(unacked > 0, 'the node must stop with sends in flight');
    await load.drain(60_000);
    const report = load.check();
    assert.ok(report.ok, `seed=${SEED + 1}\n${report.format()}`);
    assert.equal(load.totalAcked(), DEVICES * phases * PER_PHASE);
    await assertGapless(cluster, DEVICES * phases * PER_PHASE);
    assert.ok(frozen.running, `the resumed node runs on:\n${frozen.output()}`);
  } finally {
    await load.close();
    await cluster.cleanup();
  }
});
