import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { send, uid } from '../storage/conformance-fixtures.ts';
import { createSqliteStore } from '../storage/sqlite/store.ts';
import type { SendOutcome } from '../storage/port.ts';
import { createCommitQueue } from './commit-queue.ts';

async function withStore(fn: (store: Awaited<ReturnType<typeof createSqliteStore>>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-commit-queue-'));
  const store = await createSqliteStore({ path: join(dir, 'tidings.db') });
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Submits `n` sends (one conversation each), `gapMs` apart; resolves with their outcomes in submission order. */
async function trickle(queue: ReturnType<typeof createCommitQueue>, n: number, gapMs: number): Promise<SendOutcome[]> {
  const appKey = uid('app');
  const answers: Array<Promise<SendOutcome>> = [];
  for (let i = 0; i < n; i++) {
    answers.push(
      new Promise((resolve, reject) => {
        const ok = queue.submit(send({ appKey, convId: `g:c${i}` }), (o, err) =>
          o ? resolve(o) : reject(err as Error),
        );
        assert.ok(ok, 'queued');
      }),
    );
    if (gapMs > 0 && i < n - 1) await sleep(gapMs);
  }
  return Promise.all(answers);
}

test('commit queue - with a linger, sends that trickle in commit together; without, each waits for no one', async () => {
  await withStore(async (store) => {
    for (const [lingerMs, most] of [
      [0, 1],
      [200, 8],
    ] as const) {
      const sizes: number[] = [];
      const queue = createCommitQueue({
        store,
        batchMax: 1000,
        queueMax: 100,
        lingerMs,
        onBatch: (n) => sizes.push(n),
      });
      const outcomes = await trickle(queue, 8, 5);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        Array(8).fill('stored'),
      );
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        8,
      );
      assert.equal(Math.max(...sizes), most, `linger ${lingerMs}: batches ${sizes.join(',')}`);
      await queue.drain();
    }
  });
});

test('commit queue - a full batch does not wait for the linger, and drain waits for a lingering batch', async () => {
  await withStore(async (store) => {
    const sizes: number[] = [];
    const queue = createCommitQueue({
      store,
      batchMax: 4,
      queueMax: 100,
      lingerMs: 5000,
      onBatch: (n) => sizes.push(n),
    });
    const started = performance.now();
    await trickle(queue, 4, 0);
    assert.ok(performance.now() - started < 2000, 'a full batch committed at once');
    assert.deepEqual(sizes, [4]);
    // One send lingers; drain() (a shutdown) commits it at once and resolves once it is answered, not before.
    let answered = false;
    queue.submit(send({ appKey: uid('app') }), () => (answered = true));
    const drainStarted = performance.now();
    assert.equal(await queue.drain().then(() => answered), true);
    assert.ok(performance.now() - drainStarted < 2000, 'drain did not wait out the linger');
    assert.deepEqual(sizes, [4, 1]);
  });
});
