import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { SendInput, Store } from '../port.ts';
import { send, uid } from '../conformance-fixtures.ts';
import { createPostgresStore } from './store.ts';
import { POSTGRES_URL, adminQuery, dropSchema, freshSchemaName } from './pg.fixture.ts';

const schema = freshSchemaName();
before(() => adminQuery('SELECT 1'));
after(() => dropSchema(schema));

const NODES = 4;
const LANES = 2; // batches in flight per node, each with its own senders
const ROUNDS = 25;
const BATCH = 24;
const CONVS = ['g:1', 'g:2', 'g:3', 'g:4', 'g:5', 'g:6'];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
/** Overlapping memberships, so batches of different convs contend on users too. */
const membersOf = (c: number): string[] => USERS.filter((_, u) => (u + c) % 3 !== 0);

test('postgres concurrency - 4 nodes committing interleaved batches keep seqs gapless and versions unique', async () => {
  const appKey = uid('app');
  const stores: Store[] = await Promise.all(
    Array.from({ length: NODES }, () => createPostgresStore({ url: POSTGRES_URL, schema, poolSize: LANES })),
  );
  try {
    const expectedBumps = new Map<string, number>();
    const lane = async (store: Store, node: number, l: number): Promise<Array<[string, number, string, number]>> => {
      const senderSeqs = new Map<string, number>();
      const seen: Array<[string, number, string, number]> = [];
      for (let r = 0; r < ROUNDS; r++) {
        const batch: SendInput[] = [];
        for (let i = 0; i < BATCH; i++) {
          // A different walk over the conversations per lane and round: the lock sets overlap in every order.
          const c = (i * (node + 2) + r * 7 + l * 3) % CONVS.length;
          const senderId = `n${node}l${l}s${i % 3}`;
          const convId = CONVS[c]!;
          const key = `${senderId}/${convId}`;
          const senderSeq = (senderSeqs.get(key) ?? 0) + 1;
          senderSeqs.set(key, senderSeq);
          const members = membersOf(c);
          for (const u of members) expectedBumps.set(u, (expectedBumps.get(u) ?? 0) + 1);
          batch.push(send({ appKey, convId, kind: 'group', members, senderId, senderDevice: 'd1', senderSeq }));
        }
        const outcomes = await store.commitSends(batch);
        for (const [i, o] of outcomes.entries()) {
          assert.equal(o.status, 'stored', `node ${node} lane ${l} round ${r} input ${i}: ${o.status}`);
          if (o.status === 'stored')
            seen.push([o.message.convId, o.message.seq, o.message.senderId, o.message.senderSeq]);
        }
      }
      return seen;
    };
    const all = (
      await Promise.all(stores.flatMap((store, node) => Array.from({ length: LANES }, (_, l) => lane(store, node, l))))
    ).flat();
    assert.equal(all.length, NODES * LANES * ROUNDS * BATCH);

    const reader = stores[0]!;
    for (const convId of CONVS) {
      const acked = all.filter(([c]) => c === convId).map(([, seq]) => seq);
      const n = acked.length;
      assert.deepEqual(
        [...acked].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i + 1),
        `${convId}: acked seqs are not exactly 1..${n}`,
      );
      assert.equal(await reader.maxSeq(appKey, convId), n);
      const rows = await reader.readRange(appKey, convId, 1, n, n + 10);
      assert.deepEqual(
        rows.map((m) => m.seq),
        Array.from({ length: n }, (_, i) => i + 1),
      );
      // Each sender's messages appear in its own order.
      const bySender = new Map<string, number>();
      for (const m of rows) {
        assert.equal(m.senderSeq, (bySender.get(m.senderId) ?? 0) + 1, `${convId}: ${m.senderId} out of order`);
        bySender.set(m.senderId, m.senderSeq);
      }
    }

    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      for (const userId of USERS) {
        const changes = await reader.changesSince(appKey, userId, 0, 1000);
        const versions = changes.map((c) => c.version);
        assert.equal(new Set(versions).size, versions.length, `${userId}: a version was handed out twice`);
        for (const c of changes) assert.equal(c.maxSeq, await reader.maxSeq(appKey, c.convId), `${userId} ${c.convId}`);
        // The counter moved exactly once per stored message the user is a member of: no bump lost or doubled.
        const { rows } = await client.query(
          `SELECT version::int AS v FROM ${schema}.user_versions WHERE app_key = $1 AND user_id = $2`,
          [appKey, userId],
        );
        assert.equal(rows[0]?.v ?? 0, expectedBumps.get(userId) ?? 0, `${userId}: version counter`);
        assert.equal(Math.max(0, ...versions), expectedBumps.get(userId) ?? 0);
      }
    } finally {
      await client.end();
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});
