import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { sealContent } from './envelope.ts';
import { createContentOpener } from './opener.ts';

const key = createSecretKey(randomBytes(32));
const other = createSecretKey(randomBytes(32));
const sealed = (seq: number, k = key) => ({ seq, key: k, sealed: sealContent(k, 1, 'app', 'p:a:b', seq, Buffer.from(`message ${seq}`)) });

test('content opener - a batch opened on the worker equals the plain contents, in order, keys mixed', async () => {
  const opener = createContentOpener({ minBatch: 2, maxInFlight: 4 });
  try {
    const items = Array.from({ length: 30 }, (_, i) => sealed(i + 1, i % 3 === 0 ? other : key));
    const batches = await Promise.all([1, 2, 3, 4, 5, 6].map(() => opener.open('app', 'p:a:b', items)));
    for (const out of batches) assert.deepEqual(out.map((b) => Buffer.from(b).toString()), items.map((it) => `message ${it.seq}`));
    // Below minBatch: opened at once on this thread.
    assert.equal(Buffer.from((await opener.open('app', 'p:a:b', [sealed(7)]))[0]!).toString(), 'message 7');
  } finally {
    await opener.close();
  }
});

test('content opener - a tampered or rebound blob fails its batch, and the next batch still opens', async () => {
  const opener = createContentOpener({ minBatch: 2, maxInFlight: 4 });
  try {
    const items = [sealed(1), sealed(2), sealed(3)];
    const bad = Uint8Array.from(items[1]!.sealed);
    bad[bad.length - 1]! ^= 1;
    await assert.rejects(opener.open('app', 'p:a:b', [items[0]!, { ...items[1]!, sealed: bad }, items[2]!]));
    // Bound to another seq: does not open either.
    await assert.rejects(opener.open('app', 'p:a:b', [items[0]!, { ...items[1]!, seq: 9 }]));
    await assert.rejects(opener.open('app', 'p:x:y', items));
    assert.equal((await opener.open('app', 'p:a:b', items)).length, 3);
  } finally {
    await opener.close();
  }
});

test('content opener - after close batches open on the calling thread', async () => {
  const opener = createContentOpener({ minBatch: 2, maxInFlight: 4 });
  const pending = opener.open('app', 'p:a:b', [sealed(1), sealed(2)]);
  await opener.close();
  assert.equal((await pending).length, 2);
  assert.equal(Buffer.from((await opener.open('app', 'p:a:b', [sealed(1), sealed(2)]))[1]!).toString(), 'message 2');
});
