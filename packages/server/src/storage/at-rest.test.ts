import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { storageConformance } from './conformance.ts';
import { send, uid } from './conformance-fixtures.ts';
import type { Store } from './port.ts';
import { createSqliteStore } from './sqlite/store.ts';
import { createPostgresStore } from './postgres/store.ts';
import { sealedKeyId } from '../crypto/envelope.ts';
import { POSTGRES_URL, dropSchema, freshSchemaName } from './postgres/pg.fixture.ts';

const masterKey = randomBytes(32);
const dir = mkdtempSync(join(tmpdir(), 'tidings-at-rest-'));
const schema = freshSchemaName();
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

// Every storage promise holds with encryption on, for both adapters.
storageConformance('sqlite encrypted', () => createSqliteStore({ path: join(dir, 'conf.db'), masterKey }));
storageConformance('postgres encrypted', () => createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 4, masterKey }));

/** Writes `count` messages carrying `marker` and reads them back. */
async function writeMarked(store: Store, appKey: string, marker: string, count: number): Promise<void> {
  const conv = 'p:a:b';
  const inputs = Array.from({ length: count }, (_, i) =>
    send({ appKey, convId: conv, kind: 'private', members: ['a', 'b'], senderId: 'a', senderDevice: 'd', senderSeq: i + 1, content: new TextEncoder().encode(`${marker} #${i}`) }),
  );
  const outcomes = await store.commitSends(inputs);
  assert.ok(outcomes.every((o) => o.status === 'stored'));
  const back = await store.readRange(appKey, conv, 1, count, count);
  assert.deepEqual(
    back.map((m) => new TextDecoder().decode(m.content)),
    inputs.map((_, i) => `${marker} #${i}`),
  );
}

function filesContain(paths: readonly string[], needle: string): string[] {
  const n = Buffer.from(needle);
  return paths.filter((p) => readFileSync(p).includes(n));
}

test('at rest - no plaintext in the SQLite database or its WAL; without the right master key content stays sealed', async () => {
  const path = join(dir, 'scan.db');
  const store = await createSqliteStore({ path, masterKey });
  const marker = `plain-${randomBytes(8).toString('hex')}`;
  const appKey = uid('app');
  await writeMarked(store, appKey, marker, 50);
  const files = [path, `${path}-wal`].filter((p) => statSync(p, { throwIfNoEntry: false }));
  assert.deepEqual(filesContain(files, marker), [], 'plaintext found in SQLite files');
  await store.close();
  // The same file without the master key shows ciphertext, never the text.
  const plainStore = await createSqliteStore({ path });
  const convs = await plainStore.changesSince(appKey, 'a', 0, 10);
  const raw = await plainStore.readRange(appKey, convs[0]!.convId, 1, 50, 50);
  assert.equal(raw.length, 50);
  assert.ok(raw.every((m) => !Buffer.from(m.content).includes(Buffer.from(marker))));
  await plainStore.close();
  // A wrong master key cannot open the data keys.
  const wrong = await createSqliteStore({ path, masterKey: randomBytes(32) });
  await assert.rejects(wrong.readRange(appKey, convs[0]!.convId, 1, 50, 50));
  await wrong.close();
});

/** The schema's table files and the newest WAL segments (after a checkpoint) that hold `marker`. */
async function postgresFilesWith(marker: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    const dataDir = (await client.query('SHOW data_directory')).rows[0].data_directory as string;
    const rels = await client.query(
      `SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 't') AND pg_relation_filepath(c.oid) IS NOT NULL`,
      [schema],
    );
    const tableFiles = rels.rows.map((r) => join(dataDir, r.path as string)).filter((p) => statSync(p, { throwIfNoEntry: false }));
    assert.ok(tableFiles.length > 10, 'found the schema table files');
    const walDir = join(dataDir, 'pg_wal');
    const wal = readdirSync(walDir)
      .filter((f) => /^[0-9A-F]{24}$/.test(f))
      .map((f) => join(walDir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
      .slice(0, 3);
    return filesContain([...tableFiles, ...wal], marker);
  } finally {
    await client.end();
  }
}

test('at rest - no plaintext in PostgreSQL table files or WAL', async () => {
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 2, masterKey });
  const marker = `plain-${randomBytes(8).toString('hex')}`;
  try {
    await writeMarked(store, uid('app'), marker, 50);
  } finally {
    await store.close();
  }
  assert.deepEqual(await postgresFilesWith(marker), [], 'plaintext found in PostgreSQL files');
});

async function rotationCase(store: Store, rawKeyIds: (appKey: string) => Promise<number[]>): Promise<void> {
  const appKey = uid('app');
  const conv = 'p:a:b';
  const batch = (from: number) =>
    Array.from({ length: 5 }, (_, i) =>
      send({ appKey, convId: conv, kind: 'private', members: ['a', 'b'], senderId: 'a', senderDevice: 'd', senderSeq: from + i, content: new TextEncoder().encode(`m${from + i}`) }),
    );
  await store.commitSends(batch(1));
  assert.equal(await store.rotateDataKey(appKey), 2);
  await store.commitSends(batch(6));
  const all = await store.readRange(appKey, conv, 1, 10, 10);
  assert.deepEqual(
    all.map((m) => new TextDecoder().decode(m.content)),
    Array.from({ length: 10 }, (_, i) => `m${i + 1}`),
  );
  assert.deepEqual(await rawKeyIds(appKey), [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
}

test('at rest - key rotation: new writes use the new data key, old data stays readable (SQLite)', async () => {
  const path = join(dir, 'rotate.db');
  const store = await createSqliteStore({ path, masterKey });
  const raw = await createSqliteStore({ path });
  try {
    await rotationCase(store, async (appKey) => (await raw.readRange(appKey, 'p:a:b', 1, 10, 10)).map((m) => sealedKeyId(m.content) ?? 0));
    await assert.rejects(raw.rotateDataKey('x'), /master key/);
  } finally {
    await store.close();
    await raw.close();
  }
});

test('at rest - key rotation: new writes use the new data key, old data stays readable (PostgreSQL)', async () => {
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 2, masterKey });
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await rotationCase(store, async (appKey) =>
      (await client.query(`SELECT content FROM ${schema}.messages WHERE app_key = $1 ORDER BY seq`, [appKey])).rows.map(
        (r: { content: Uint8Array }) => sealedKeyId(r.content) ?? 0,
      ),
    );
  } finally {
    await client.end();
    await store.close();
  }
});

test('at rest - user profiles are sealed too: no plaintext in the SQLite files, plain text through the port', async () => {
  const path = join(dir, 'profiles.db');
  const store = await createSqliteStore({ path, masterKey });
  const marker = `name-${randomBytes(8).toString('hex')}`;
  const appKey = uid('app');
  const u = await store.upsertUser(appKey, 'ann', { name: marker, avatarUrl: `https://x.example/${marker}.png`, extra: `{"note":"${marker}"}` }, 1);
  assert.equal(u.name, marker);
  assert.equal((await store.setUserBlocked(appKey, 'ann', true, 2)).name, marker);
  assert.equal((await store.getUser(appKey, 'ann'))?.extra, `{"note":"${marker}"}`);
  const files = [path, `${path}-wal`].filter((p) => statSync(p, { throwIfNoEntry: false }));
  assert.deepEqual(filesContain(files, marker), [], 'profile plaintext found in SQLite files');
  await store.close();
  const raw = await createSqliteStore({ path });
  assert.match((await raw.getUser(appKey, 'ann'))!.name, /^tds1:/);
  await raw.close();
});

/** Creates a room whose attribute names and values carry `marker`, changes them, and reads them back through the port. */
async function writeRoomAttrs(store: Store, marker: string): Promise<{ appKey: string; roomId: string }> {
  const appKey = uid('app');
  const roomId = uid('room');
  const state = { admins: ['host'], banned: [], muted: {}, policy: { windowSize: 10 }, attrs: { [`k-${marker}`]: `v-${marker}` } };
  const lease = await store.rooms.createRoom({ appKey, roomId, createdAt: 1, state }, 'n1', 60_000, 100);
  assert.equal(lease?.epoch, 1);
  const next = { ...state, attrs: { topic: `topic ${marker}`, [`k-${marker}`]: 'x' } };
  assert.equal(await store.rooms.saveRoomState(appKey, roomId, 1, next), true);
  assert.deepEqual((await store.rooms.getRoom(appKey, roomId))?.state.attrs, next.attrs);
  return { appKey, roomId };
}

test('at rest - chatroom attributes are sealed (names and values): no plaintext in the SQLite files; without the master key they do not open', async () => {
  const path = join(dir, 'rooms.db');
  const store = await createSqliteStore({ path, masterKey });
  const marker = `attr-${randomBytes(8).toString('hex')}`;
  const { appKey, roomId } = await writeRoomAttrs(store, marker);
  const files = [path, `${path}-wal`].filter((p) => statSync(p, { throwIfNoEntry: false }));
  assert.deepEqual(filesContain(files, marker), [], 'room attribute plaintext found in SQLite files');
  await store.close();
  const raw = await createSqliteStore({ path });
  await assert.rejects(raw.rooms.getRoom(appKey, roomId), /sealed/);
  await raw.close();
});

test('at rest - chatroom attributes are sealed: no plaintext in PostgreSQL table files or WAL, the column holds ciphertext', async () => {
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 2, masterKey });
  const marker = `attr-${randomBytes(8).toString('hex')}`;
  let room: { appKey: string; roomId: string };
  try {
    room = await writeRoomAttrs(store, marker);
  } finally {
    await store.close();
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT attrs FROM ${schema}.rooms WHERE app_key = $1 AND room_id = $2`, [room.appKey, room.roomId]);
    assert.match(rows[0].attrs as string, /^tds1:/);
  } finally {
    await client.end();
  }
  assert.deepEqual(await postgresFilesWith(marker), [], 'room attribute plaintext found in PostgreSQL files');
});
