import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from './file-store.ts';
import type { OutboxEntry } from '../store.ts';

const entry = (n: number): OutboxEntry => ({
  clientMsgId: `c${n}`, convId: 'g:x', senderSeq: n, type: 'text', content: new Uint8Array([n, 0, 255]), flags: 0, createdAt: n,
});
const tmp = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'tidings-sdk-')), 'store.jsonl');

test('file store - a restart recovers the outbox and counters', async () => {
  const path = await tmp();
  const s = await createFileStore({ path });
  await s.setDeviceId('dev1');
  await Promise.all([s.putOutbox(entry(1)), s.putOutbox(entry(2)), s.putOutbox(entry(3)), s.setNextSenderSeq('g:x', 4)]);
  await s.deleteOutbox('c1');
  await s.putOutbox({ ...entry(3), senderSeq: 9 });
  await Promise.all([s.setLastSeq('g:x', 12), s.setCursor(77)]);
  await s.close();
  // A crash mid-append leaves a torn line; it is ignored.
  await appendFile(path, '{"op":"del","clientMs');
  const r = await createFileStore({ path });
  const snap = await r.load();
  assert.equal(snap.deviceId, 'dev1');
  assert.equal(snap.cursor, 77);
  assert.deepEqual([...snap.lastSeqs], [['g:x', 12]]);
  assert.deepEqual([...snap.nextSenderSeqs], [['g:x', 4]]);
  assert.deepEqual(snap.outbox.map((e) => [e.clientMsgId, e.senderSeq]), [['c2', 2], ['c3', 9]]);
  assert.deepEqual(snap.outbox[0]?.content, new Uint8Array([2, 0, 255]));
  await r.close();
});

test('file store - compaction rewrites the journal to the live state', async () => {
  const path = await tmp();
  const s = await createFileStore({ path, compactAfter: 10, fsync: false });
  for (let i = 1; i <= 30; i++) {
    await s.putOutbox(entry(i));
    await s.deleteOutbox(`c${i}`);
    await s.setLastSeq('g:x', i);
  }
  await s.putOutbox(entry(99));
  await s.compact();
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 2, 'one lastSeq and one outbox entry');
  await s.setCursor(5);
  await s.close();
  const r = await createFileStore({ path });
  const snap = await r.load();
  assert.deepEqual(snap.outbox.map((e) => e.clientMsgId), ['c99']);
  assert.equal(snap.lastSeqs.get('g:x'), 30);
  assert.equal(snap.cursor, 5);
  await r.close();
});

test('file store - automatic compaction keeps the journal bounded', async () => {
  const path = await tmp();
  const s = await createFileStore({ path, compactAfter: 20, fsync: false });
  for (let i = 1; i <= 200; i++) await s.setLastSeq('g:x', i);
  await s.close();
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  assert.ok(lines.length <= 21, `journal has ${lines.length} lines`);
  const r = await createFileStore({ path });
  assert.equal((await r.load()).lastSeqs.get('g:x'), 200);
  await r.close();
});
