import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom, mulberry32 } from './random.ts';

test('random - same seed gives the same sequence', () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  for (let i = 0; i < 100; i++) assert.equal(a(), b());
});

test('random - different seeds give different sequences', () => {
  const a = mulberry32(1);
  const b = mulberry32(2);
  const xs = Array.from({ length: 10 }, () => a());
  const ys = Array.from({ length: 10 }, () => b());
  assert.notDeepEqual(xs, ys);
});

test('random - values stay in [0, 1) and int stays in range', () => {
  const rng = createRandom(123);
  for (let i = 0; i < 10_000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1);
    const n = rng.int(5);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 5);
  }
});

test('random - chance 0 and 1 are exact and draw nothing', () => {
  const rng = createRandom(5);
  const ref = createRandom(5);
  for (let i = 0; i < 50; i++) {
    assert.equal(rng.chance(0), false);
    assert.equal(rng.chance(1), true);
  }
  assert.equal(rng.next(), ref.next());
});

test('random - chance roughly matches its probability', () => {
  const rng = createRandom(99);
  let hits = 0;
  for (let i = 0; i < 10_000; i++) if (rng.chance(0.3)) hits++;
  assert.ok(hits > 2_700 && hits < 3_300, `hits=${hits}`);
});

test('random - jitter stays within bounds and never negative', () => {
  const rng = createRandom(3);
  for (let i = 0; i < 1000; i++) {
    const v = rng.jitter(100, 20);
    assert.ok(v >= 80 && v <= 120);
    assert.ok(rng.jitter(1, 50) >= 0);
  }
  assert.equal(rng.jitter(10, 0), 10);
});

test('random - pick returns an element or undefined for empty', () => {
  const rng = createRandom(11);
  assert.equal(rng.pick([]), undefined);
  for (let i = 0; i < 20; i++) assert.ok(['a', 'b', 'c'].includes(rng.pick(['a', 'b', 'c'])!));
});
