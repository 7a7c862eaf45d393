import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { send, uid } from '../conformance-fixtures.ts';
import { createSqliteStore } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidings-range-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const input = (appKey: string, i: number, convId = 'p:a:b') =>
  send({ appKey, convId, kind: 'private', members: ['a', 'b'], senderId: 'a', senderDevice: 'd', senderSeq: i, content: new TextEncoder().encode(`m${i}`) });

test('range reader - reads on the worker see every commit before them, content opened, all fields as stored', async () => {
  const store = await createSqliteStore({ path: join(dir, 'ryw.db'), masterKey: randomBytes(32) });
  try {
    const appKey = uid('app');
    const inputs = Array.from({ length: 40 }, (_, i) => input(appKey, i + 1));
    for (let i = 1; i <= 40; i++) {
      const [o] = await store.commitSends([inputs[i - 1]!]);
      assert.equal(o?.status, 'stored');
      // Read right after the commit, as a pull after the send's ack would.
      const back = await store.readRange(appKey, 'p:a:b', 1, i, 100);
      assert.deepEqual(back.map((m) => text(m.content)), Array.from({ length: i }, (_, k) => `m${k + 1}`));
    }
    const many = await Promise.all(Array.from({ length: 600 }, (_, k) => store.readRange(appKey, 'p:a:b', 1 + (k % 40), 40, 10)));
    many.forEach((rows, k) => assert.deepEqual(rows.map((m) => m.seq), Array.from({ length: Math.min(10, 40 - (k % 40)) }, (_, j) => 1 + (k % 40) + j)));
    const [m] = await store.readRange(appKey, 'p:a:b', 7, 7, 1);
    const original = inputs[6]!;
    assert.deepEqual({ ...m, content: text(m!.content) }, {
      appKey, convId: 'p:a:b', seq: 7, msgId: m!.msgId, senderId: 'a', senderDevice: 'd', clientMsgId: original.clientMsgId,
      senderSeq: 7, type: original.type, content: 'm7', ts: m!.ts, flags: 0,
    });
  } finally {
    await store.close();
  }
});

test('range reader - a tampered row fails its read, the next reads still work, close settles every read', async () => {
  const path = join(dir, 'tamper.db');
  const store = await createSqliteStore({ path, masterKey: randomBytes(32) });
  const appKey = uid('app');
  await store.commitSends(Array.from({ length: 20 }, (_, i) => input(appKey, i + 1)));
  const raw = new DatabaseSync(path);
  const row = raw.prepare('SELECT content FROM messages WHERE app_key = ? AND seq = 5').get(appKey) as { content: Uint8Array };
  const bad = Uint8Array.from(row.content);
  bad[bad.length - 1]! ^= 1;
  raw.prepare('UPDATE messages SET content = ? WHERE app_key = ? AND seq = 5').run(bad, appKey);
  raw.close();
  await assert.rejects(store.readRange(appKey, 'p:a:b', 1, 20, 20));
  assert.equal((await store.readRange(appKey, 'p:a:b', 6, 20, 20)).length, 15);
  const inFlight = Promise.allSettled(Array.from({ length: 50 }, () => store.readRange(appKey, 'p:a:b', 6, 20, 20)));
  await store.close();
  // A read already on the worker finishes; one that had not reached it yet finds the store closed.
  for (const r of await inFlight) {
    if (r.status === 'fulfilled') assert.equal(r.value.length, 15);
    else assert.match(String(r.reason), /closed/);
  }
  await assert.rejects(store.readRange(appKey, 'p:a:b', 6, 20, 20), /closed/);
});
