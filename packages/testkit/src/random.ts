/**
 * A small seeded pseudo-random generator, so that fault runs can be replayed:
 * the same seed and the same sequence of calls give the same decisions.
 */

/** A seeded source of numbers in [0, 1) with a few helpers on top. */
export interface Random {
  /** The seed this generator started from (print it in test output). */
  readonly seed: number;
  /** Next number in [0, 1). */
  next(): number;
  /** Integer in [0, n). `n` must be a positive integer. */
  int(n: number): number;
  /** True with probability `p`; 0 and 1 are exact and draw nothing. */
  chance(p: number): boolean;
  /** `base` plus a uniform offset in [-jitter, +jitter], never below 0. */
  jitter(base: number, jitter: number): number;
  /** One element of a non-empty array, or undefined for an empty one. */
  pick<T>(items: readonly T[]): T | undefined;
}

/**
 * mulberry32: 32-bit state, good enough statistical quality for fault
 * injection and very cheap. Returns a function yielding numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Creates a seeded generator. Without a seed, one is drawn from Math.random
 * and exposed as `seed` so a failing run can be repeated.
 *
 * @example
 * ```ts
 * const rng = createRandom(42);
 * if (rng.chance(0.1)) dropFrame();
 * ```
 */
export function createRandom(seed?: number): Random {
  const s = seed ?? Math.floor(Math.random() * 2 ** 32);
  const next = mulberry32(s);
  return {
    seed: s,
    next,
    int(n) {
      return Math.floor(next() * n);
    },
    chance(p) {
      if (p <= 0) return false;
      if (p >= 1) return true;
      return next() < p;
    },
    jitter(base, jitter) {
      if (jitter <= 0) return Math.max(0, base);
      return Math.max(0, base + (next() * 2 - 1) * jitter);
    },
    pick(items) {
      if (items.length === 0) return undefined;
      return items[Math.floor(next() * items.length)];
    },
  };
}
