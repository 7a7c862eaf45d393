import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { storageConformance } from '../conformance.ts';
import { send, uid } from '../conformance-fixtures.ts';
import { MESSAGE_FLAG_RECALLED } from '../port.ts';
import { MIGRATIONS, VERSION_BUCKET, migrate, schemaVersion } from './schema.ts';
import { createPostgresStore } from './store.ts';
import { POSTGRES_URL, adminQuery, dropSchema, freshSchemaName } from './pg.fixture.ts';

const schema = freshSchemaName();
// Fails every test of the file, with the reason, when the service is down.
before(() => adminQuery('SELECT 1'));
after(() => dropSchema(schema));

storageConformance('postgres', () => createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 4 }));

test('postgres - nodes starting at once migrate the schema exactly once', async () => {
  const fresh = freshSchemaName();
  try {
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => createPostgresStore({ url: POSTGRES_URL, schema: fresh, poolSize: 1 })),
    );
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM ${fresh}.schema_migrations ORDER BY version`);
      assert.deepEqual(
        rows.map((r) => r.version),
        MIGRATIONS.map((_, i) => i + 1),
      );
      const parts = await client.query(
        `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = '${fresh}.messages'::regclass`,
      );
      assert.equal(parts.rows[0].n, 16);
    } finally {
      await client.end();
    }
  } finally {
    await dropSchema(fresh);
  }
});

test('postgres - a failing migration step leaves the previous version intact; newer schemas are refused', async () => {
  const fresh = freshSchemaName();
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const client = await pool.connect();
  try {
    const first = [{ name: 'one', sql: 'CREATE TABLE one (x integer)' }];
    await migrate(client, fresh, first);
    await client.query(`INSERT INTO ${fresh}.one VALUES (1)`);
    const broken = [...first, { name: 'two', sql: 'CREATE TABLE two (y integer); SELECT * FROM nowhere' }];
    await assert.rejects(migrate(client, fresh, broken), /migration 2 \(two\) failed/);
    assert.equal(await schemaVersion(client, fresh), 1);
    const two = await client.query('SELECT to_regclass($1) AS t', [`${fresh}.two`]);
    assert.equal(two.rows[0].t, null);
    await migrate(client, fresh, [...first, { name: 'two', sql: 'CREATE TABLE two (y integer)' }]);
    assert.equal(await schemaVersion(client, fresh), 2);
    await assert.rejects(migrate(client, fresh, first), /newer than this build supports/);
  } finally {
    client.release();
    await pool.end();
    await dropSchema(fresh);
  }
});

test('postgres - an unreachable server is a storage.unavailable error naming the URL without its password', async () => {
  await assert.rejects(createPostgresStore({ url: 'postgres://u:hunter2@127.0.0.1:1/x', schema }), (err: Error) => {
    assert.equal((err as { code?: string }).code, 'storage.unavailable');
    assert.match(err.message, /127\.0\.0\.1:1/);
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
});

test('postgres - schema names are checked before they reach SQL', async () => {
  await assert.rejects(createPostgresStore({ url: POSTGRES_URL, schema: 'x; DROP TABLE y' }), RangeError);
});

test('postgres - a recall of a message stored earlier in the same batch erases it too', async () => {
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 1 });
  try {
    const appKey = uid('app');
    const target = send({ appKey, flags: 1 });
    const recall = send({ appKey, senderSeq: 0, senderDevice: 'server-api', type: 'tidings.recall', recallsSeq: 1 });
    const out = await store.commitSends([target, recall]);
    assert.deepEqual(
      out.map((o) => o.status),
      ['stored', 'stored'],
    );
    const [t] = await store.readRange(appKey, 'g:a', 1, 1, 10);
    assert.deepEqual([t?.flags, t?.content.byteLength], [1 | MESSAGE_FLAG_RECALLED, 0]);
  } finally {
    await store.close();
  }
});

test('postgres - the change index pages by version across version buckets, from any cursor', async () => {
  // The sync index is on the version's bucket (VERSION_BUCKET versions of a user), so a cursor anywhere in a
  // bucket, on its edges, and pages that cross buckets must all give exactly the entries newer than the cursor.
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 1 });
  try {
    const appKey = uid('app');
    const convs = 37;
    const total = VERSION_BUCKET * 2 + 100;
    const lastSeq = new Map<string, number>();
    const senderSeq = new Map<string, number>();
    for (let done = 0; done < total; ) {
      const batch = [];
      for (let i = 0; i < 50 && done < total; i++, done++) {
        const peer = `p${(done * 7) % convs}`;
        const convId = `p:${peer}:u`;
        const next = (senderSeq.get(convId) ?? 0) + 1;
        senderSeq.set(convId, next);
        batch.push(send({ appKey, convId, kind: 'private', members: [peer, 'u'], senderId: peer, senderSeq: next }));
      }
      const out = await store.commitSends(batch);
      for (const o of out) {
        assert.equal(o.status, 'stored');
        if (o.status === 'stored') lastSeq.set(o.message.convId, o.message.seq);
      }
    }
    const all = await store.changesSince(appKey, 'u', 0, 1000);
    assert.equal(all.length, convs);
    assert.deepEqual(new Map(all.map((c) => [c.convId, c.maxSeq])), lastSeq);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]!.version > all[i - 1]!.version);
    const top = all[all.length - 1]!.version;
    assert.ok(top >= total, `one version per send at least: ${top}`);
    const cursors = [0, 1, VERSION_BUCKET - 1, VERSION_BUCKET, VERSION_BUCKET + 1, 2 * VERSION_BUCKET - 1, ...all.map((c) => c.version), top + 1];
    for (const cursor of cursors) {
      assert.deepEqual(await store.changesSince(appKey, 'u', cursor, 1000), all.filter((c) => c.version > cursor), `cursor ${cursor}`);
    }
    for (const limit of [1, 5, 36]) {
      const paged = [];
      for (let cursor = 0; ; ) {
        const page = await store.changesSince(appKey, 'u', cursor, limit);
        if (page.length === 0) break;
        assert.ok(page.length <= limit);
        paged.push(...page);
        cursor = page[page.length - 1]!.version;
      }
      assert.deepEqual(paged, all, `pages of ${limit}`);
    }
  } finally {
    await store.close();
  }
});

test('postgres - migration 9 fills the version bucket of change entries written before it', async () => {
  const fresh = freshSchemaName();
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const client = await pool.connect();
  try {
    await migrate(client, fresh, MIGRATIONS.slice(0, 8));
    await client.query(
      `INSERT INTO ${fresh}.user_changes (app_key, user_id, conv_id, max_seq, version) VALUES ('a', 'u', 'c1', 3, 5), ('a', 'u', 'c2', 9, ${VERSION_BUCKET + 2})`,
    );
    await client.query(`INSERT INTO ${fresh}.user_versions (app_key, user_id, version) VALUES ('a', 'u', ${VERSION_BUCKET + 2})`);
    await client.query(`INSERT INTO ${fresh}.conversations (app_key, conv_id, kind, max_seq) VALUES ('a', 'c1', 'private', 3)`);
    client.release();
    const store = await createPostgresStore({ url: POSTGRES_URL, schema: fresh, poolSize: 1 });
    try {
      assert.deepEqual(
        (await store.changesSince('a', 'u', 0, 10)).map((c) => [c.convId, c.maxSeq, c.version]),
        [
          ['c1', 3, 5],
          ['c2', 9, VERSION_BUCKET + 2],
        ],
      );
      assert.deepEqual(
        (await store.changesSince('a', 'u', 5, 10)).map((c) => c.convId),
        ['c2'],
      );
      await store.commitSends([send({ appKey: 'a', convId: 'c1', kind: 'private', members: ['u', 'v'], senderId: 'v' })]);
      assert.deepEqual(
        (await store.changesSince('a', 'u', VERSION_BUCKET + 2, 10)).map((c) => [c.convId, c.maxSeq, c.version]),
        [['c1', 4, VERSION_BUCKET + 3]],
      );
    } finally {
      await store.close();
    }
  } finally {
    await pool.end();
    await dropSchema(fresh);
  }
});

test('postgres - a repeat with the next senderSeq (its clientMsgId not looked up first) is still a duplicate, in any batch', async () => {
  // commit.ts takes a send whose senderSeq is its cursor's next as new without looking its clientMsgId up;
  // a repeat among them must still come out exactly as the rules say, with the rest of its batch.
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 1 });
  try {
    const appKey = uid('app');
    const first = send({ appKey, convId: 'p:a:b', kind: 'private', members: ['a', 'b'], senderId: 'a' });
    const other = send({ appKey, convId: 'p:a:c', kind: 'private', members: ['a', 'c'], senderId: 'a' });
    await store.commitSends([first, other]);
    const out = await store.commitSends([
      send({ appKey, convId: 'p:a:c', kind: 'private', members: ['a', 'c'], senderId: 'a', senderSeq: 2 }),
      { ...first, senderSeq: 2, msgId: uid('msg') },
      send({ appKey, convId: 'p:a:b', kind: 'private', members: ['a', 'b'], senderId: 'a', senderSeq: 2 }),
    ]);
    assert.deepEqual(
      out.map((o) => (o.status === 'stored' || o.status === 'duplicate' ? `${o.status}:${o.message.seq}` : o.status)),
      ['stored:2', 'duplicate:1', 'stored:2'],
    );
    assert.deepEqual(
      (await store.readRange(appKey, 'p:a:b', 1, 10, 10)).map((m) => [m.seq, m.senderSeq, m.clientMsgId]),
      [
        [1, 1, first.clientMsgId],
        [2, 2, out[2]?.status === 'stored' ? out[2].message.clientMsgId : ''],
      ],
    );

    // A group send refused to a former member is a duplicate first if its clientMsgId is known.
    const convId = `g:${uid('grp')}`;
    const api = { appKey, convId, kind: 'group' as const, members: [], senderDevice: '~api', senderSeq: 0 };
    await store.commitSends([
      send({ ...api, senderId: 'o', type: 'tidings.group.change', group: { check: 'none', change: { create: { ownerId: 'o', name: '', extra: '', historyVisible: true }, add: [{ userId: 'o', role: 'owner' }, { userId: 'x', role: 'member' }] } } }),
    ]);
    const said = send({ appKey, convId, kind: 'group', members: [], senderId: 'x', senderDevice: 'x-d', senderSeq: 1, group: { check: 'member' } });
    const [stored] = await store.commitSends([said]);
    assert.equal(stored?.status, 'stored');
    await store.commitSends([send({ ...api, senderId: 'o', type: 'tidings.group.change', group: { check: 'none', change: { remove: ['x'] } } })]);
    const [again, fresh] = await store.commitSends([
      { ...said, senderSeq: 2, msgId: uid('msg') },
      send({ appKey, convId, kind: 'group', members: [], senderId: 'x', senderDevice: 'x-d', senderSeq: 2, group: { check: 'member' } }),
    ]);
    assert.equal(again?.status, 'duplicate');
    assert.deepEqual(fresh, { status: 'refused', code: 'send.not_member' });
  } finally {
    await store.close();
  }
});
