/**
 * Token buckets keyed by a string (a connection, user, IP or app), for rate
 * limits. The map is bounded: when full, the key idle longest is forgotten
 * (a forgotten key starts with a full bucket, which only ever errs towards
 * allowing), so a flood of distinct keys cannot grow memory.
 */
export interface RateSpec {
  /** Sustained rate, per second; 0 disables the limit. */
  readonly perSecond: number;
  /** Burst size; defaults to the rate (one second's worth). */
  readonly burst?: number;
}

/** A keyed rate limiter. */
export interface KeyedLimiter {
  /** Takes `cost` tokens for `key`; false when the key is over its rate. */
  take(key: string, cost?: number): boolean;
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Creates a keyed limiter holding at most `maxKeys` buckets. */
export function createKeyedLimiter(spec: RateSpec, maxKeys = 100_000, now: () => number = performance.now.bind(performance)): KeyedLimiter {
  const burst = spec.burst ?? Math.max(1, spec.perSecond);
  const perMs = spec.perSecond / 1000;
  // A Map iterates in insertion order: re-inserting on use keeps the idle-longest key first.
  const buckets = new Map<string, Bucket>();
  return {
    take(key, cost = 1) {
      if (spec.perSecond <= 0) return true;
      const t = now();
      let b = buckets.get(key);
      if (b) {
        buckets.delete(key);
        b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
        b.at = t;
      } else {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
        b = { tokens: burst, at: t };
      }
      buckets.set(key, b);
      if (b.tokens < cost) return false;
      b.tokens -= cost;
      return true;
    },
    get size() {
      return buckets.size;
    },
  };
}
