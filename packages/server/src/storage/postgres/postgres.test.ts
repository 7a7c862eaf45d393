import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { storageConformance } from '../conformance.ts';
import { send, uid } from '../conformance-fixtures.ts';
import { MESSAGE_FLAG_RECALLED } from '../port.ts';
import { MIGRATIONS, migrate, schemaVersion } from './schema.ts';
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
