import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { storageConformance } from '../conformance.ts';
import { MIGRATIONS, migrate, schemaVersion } from './schema.ts';
import { createSqliteStore } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidings-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

storageConformance('sqlite', () => createSqliteStore({ path: join(dir, 'conformance.db') }));
storageConformance('sqlite synchronous=full', () =>
  createSqliteStore({ path: join(dir, 'full.db'), synchronous: 'full' }),
);

test('sqlite - opens in WAL mode at the latest schema version', async () => {
  const file = join(dir, 'fresh.db');
  await (await createSqliteStore({ path: file })).close();
  const db = new DatabaseSync(file);
  try {
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.equal(schemaVersion(db), MIGRATIONS.length);
  } finally {
    db.close();
  }
});

test('sqlite - migrate runs only the missing steps on reopen', () => {
  const db = new DatabaseSync(join(dir, 'migrate.db'));
  try {
    const first = [{ name: 'one', sql: 'CREATE TABLE one (x INTEGER) STRICT' }];
    migrate(db, first);
    db.exec('INSERT INTO one VALUES (1)');
    // Re-running step 1 would fail on CREATE TABLE; it must be skipped.
    migrate(db, [...first, { name: 'two', sql: 'CREATE TABLE two (y INTEGER) STRICT' }]);
    assert.equal(schemaVersion(db), 2);
    assert.deepEqual(
      db
        .prepare('SELECT x FROM one')
        .all()
        .map((r) => r.x),
      [1],
    );
    assert.equal(db.prepare('SELECT count(*) AS n FROM two').get()?.n, 0);
  } finally {
    db.close();
  }
});

test('sqlite - a failing migration step leaves the previous version intact', () => {
  const db = new DatabaseSync(join(dir, 'migrate-fail.db'));
  try {
    const first = [{ name: 'one', sql: 'CREATE TABLE one (x INTEGER) STRICT' }];
    migrate(db, first);
    const broken = [...first, { name: 'two', sql: 'CREATE TABLE two (y INTEGER); SELECT * FROM nowhere' }];
    assert.throws(() => migrate(db, broken), /migration 2 \(two\) failed/);
    assert.equal(schemaVersion(db), 1);
    assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'two'").get(), undefined);
    assert.equal(db.isTransaction, false);
  } finally {
    db.close();
  }
});

test('sqlite - a database newer than this build is refused', async () => {
  const file = join(dir, 'future.db');
  const db = new DatabaseSync(file);
  db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  await assert.rejects(createSqliteStore({ path: file }), /newer than this build supports/);
});

test('sqlite - a kill -9 right after a commit loses no acknowledged message', async () => {
  const file = join(dir, 'kill.db');
  const appKey = 'crash-app';
  const fixture = fileURLToPath(new URL('./kill-child.fixture.ts', import.meta.url));
  const child = spawn(process.execPath, [fixture, file, appKey], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  let acknowledged = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^committed (\d+)$/.exec(line);
    assert.ok(match, `unexpected child output: ${line}`);
    acknowledged = Number(match[1]);
    // Killed while it keeps committing, so the kill may also land mid-transaction.
    if (acknowledged >= 1000) child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  assert.ok(acknowledged >= 1000, `child acknowledged only ${acknowledged}`);

  const store = await createSqliteStore({ path: file });
  try {
    const max = await store.maxSeq(appKey, 'g:crash');
    assert.ok(max >= acknowledged, `maxSeq ${max} < acknowledged ${acknowledged}`);
    assert.equal(max % 50, 0, 'a partial batch became visible');
    const messages = await store.readRange(appKey, 'g:crash', 1, max, max + 1);
    assert.deepEqual(
      messages.map((m) => `${m.seq}:${m.clientMsgId}`),
      Array.from({ length: max }, (_, i) => `${i + 1}:c${i + 1}`),
    );
    assert.deepEqual(
      (await store.changesSince(appKey, 'u2', 0, 10)).map((c) => c.maxSeq),
      [max],
    );
    const next = { ...messages[0]!, kind: 'group' as const, members: ['u1'], senderSeq: max + 1, clientMsgId: 'after' };
    assert.deepEqual(
      (await store.commitSends([{ ...next, msgId: 'after-crash' }])).map((o) => o.status),
      ['stored'],
    );
  } finally {
    await store.close();
  }
});

test('sqlite - range reads beyond the 512 in flight on the worker run in place and keep the byte budget too', async () => {
  const store = await createSqliteStore({ path: join(dir, 'in-place.db'), masterKey: new Uint8Array(32).fill(9) });
  try {
    const appKey = `app-${process.pid}`;
    const sizes = [30_000, 30_000, 30_000, 10];
    await store.commitSends(
      sizes.map((n, i) => ({
        appKey,
        convId: 'g:m',
        kind: 'group' as const,
        members: ['u1'],
        senderId: 'u1',
        senderDevice: 'd1',
        clientMsgId: `c${i}`,
        senderSeq: i + 1,
        type: 'blob',
        content: new Uint8Array(n).fill(i),
        flags: 0,
        msgId: `m${i}`,
        ts: 1,
      })),
    );
    const seqs = async (budget?: number) => (await store.readRange(appKey, 'g:m', 1, 10, 10, budget)).map((m) => m.seq);
    for (const [budget, want] of [
      [undefined, [1, 2, 3, 4]],
      [48_000, [1]],
      [61_000, [1, 2]],
      [10, [1]],
    ] as const) {
      // 600 at once: the worker takes 512, the rest read on the main thread.
      const pages = await Promise.all(Array.from({ length: 600 }, () => seqs(budget)));
      for (const p of pages) assert.deepEqual(p, want, `budget ${budget}`);
    }
    const [first] = await store.readRange(appKey, 'g:m', 1, 1, 1, 10);
    assert.deepEqual(first!.content, new Uint8Array(30_000).fill(0), 'content opened');
  } finally {
    await store.close();
  }
});
