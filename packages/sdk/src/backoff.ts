/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** Cap of the first delay, in milliseconds (default 250). */
  readonly minMs?: number;
  /** Largest delay, in milliseconds (default 30 000). */
  readonly maxMs?: number;
  /** Source of randomness in [0, 1); injected for tests. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random
 * time in [0, min(max, min * 2^n)). Full jitter spreads a herd of clients that
 * lost the same server instead of bringing them back in lockstep.
 */
export class Backoff {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.minMs = options.minMs ?? 250;
    this.maxMs = Math.max(options.maxMs ?? 30_000, this.minMs);
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt; each call counts one more failure. */
  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * cap);
  }

  /** Failures counted since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Call after a successful connection. */
  reset(): void {
    this.attempt = 0;
  }
}
