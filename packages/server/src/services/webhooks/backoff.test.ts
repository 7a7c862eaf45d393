import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterFailure, retryDelay } from './backoff.ts';

const policy = { baseMs: 1000, maxMs: 60_000 };

test('webhook backoff - doubles per failure with equal jitter, capped', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(n, policy, () => 0)), [500, 1000, 2000, 4000]);
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(n, policy, () => 1)), [1000, 2000, 4000, 8000]);
  assert.equal(retryDelay(40, policy, () => 1), 60_000);
  assert.equal(retryDelay(40, policy, () => 0), 30_000);
});

test('webhook backoff - dead-letters after maxAttempts or maxAge, else retries at now + delay (injected clock)', () => {
  const config = { maxAttempts: 3, maxAgeMs: 10_000 };
  const now = 1_000_000;
  assert.deepEqual(afterFailure({ attempts: 0, createdAt: now }, config, now, policy, () => 0), { nextAt: now + 500, dead: false });
  assert.deepEqual(afterFailure({ attempts: 1, createdAt: now }, config, now + 10, policy, () => 0), { nextAt: now + 10 + 1000, dead: false });
  assert.deepEqual(afterFailure({ attempts: 2, createdAt: now }, config, now, policy, () => 0), { nextAt: now, dead: true });
  assert.deepEqual(afterFailure({ attempts: 0, createdAt: now - 10_000 }, config, now, policy, () => 0), { nextAt: now, dead: true });
  assert.equal(afterFailure({ attempts: 0, createdAt: now }, undefined, now, policy, () => 0).dead, true, 'no settings: dead-letter');
});
