import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyedLimiter } from './token-bucket.ts';

test('rate limit - a burst passes, then the sustained rate, per key', () => {
  let t = 0;
  const l = createKeyedLimiter({ perSecond: 10, burst: 5 }, 100, () => t);
  const passed = (key: string, n: number) => Array.from({ length: n }, () => l.take(key)).filter(Boolean).length;
  assert.equal(passed('a', 8), 5);
  assert.equal(passed('b', 8), 5, 'keys are independent');
  t += 300; // 3 tokens
  assert.equal(passed('a', 8), 3);
  t += 10_000;
  assert.equal(passed('a', 8), 5, 'refill is capped at the burst');
});

test('rate limit - zero rate means no limit', () => {
  const l = createKeyedLimiter({ perSecond: 0 });
  for (let i = 0; i < 10_000; i++) assert.ok(l.take('x'));
});

test('rate limit - the key map stays bounded under a flood of distinct keys', () => {
  let t = 0;
  const l = createKeyedLimiter({ perSecond: 1, burst: 1 }, 1000, () => t);
  for (let i = 0; i < 50_000; i++) l.take(`ip-${i}`);
  assert.equal(l.size, 1000);
  // A key in active use survives the flood (it is re-inserted on each use).
  const l2 = createKeyedLimiter({ perSecond: 1, burst: 1 }, 10, () => t);
  assert.ok(l2.take('hot'));
  for (let i = 0; i < 100; i++) {
    l2.take(`cold-${i}`);
    if (i % 5 === 0) assert.equal(l2.take('hot'), false, 'hot stays limited');
  }
  t += 1000;
  assert.ok(l2.take('hot'));
});
