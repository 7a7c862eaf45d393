import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.ts';

test('backoff - caps grow exponentially up to the maximum', () => {
  const b = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [99, 199, 399, 799, 999, 999]);
});

test('backoff - full jitter draws from zero to the cap', () => {
  const b = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
  assert.equal(b.next(), 0);
  const half = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.5 });
  assert.deepEqual([half.next(), half.next(), half.next()], [50, 100, 200]);
});

test('backoff - reset starts over', () => {
  const b = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.5 });
  b.next();
  b.next();
  assert.equal(b.attempts, 2);
  b.reset();
  assert.equal(b.next(), 50);
});
