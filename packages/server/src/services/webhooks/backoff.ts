import type { WebhookConfig, WebhookEntry } from '../../storage/port.ts';

/** Node-wide retry timing of webhook deliveries. */
export interface RetryPolicy {
  /** Delay after the first failure, before jitter. */
  readonly baseMs: number;
  /** Largest delay. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `failures` (1 after the first failure):
 * exponential, capped, with "equal jitter" (half fixed, half random) so a
 * receiver coming back is not hit by every lane at once.
 */
export function retryDelay(failures: number, policy: RetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** What to do after a failed attempt: retry at `nextAt`, or dead-letter. */
export function afterFailure(
  entry: Pick<WebhookEntry, 'attempts' | 'createdAt'>,
  config: Pick<WebhookConfig, 'maxAttempts' | 'maxAgeMs'> | undefined,
  nowMs: number,
  policy: RetryPolicy,
  random: () => number,
): { readonly nextAt: number; readonly dead: boolean } {
  const failures = entry.attempts + 1;
  const dead = config === undefined || failures >= config.maxAttempts || nowMs - entry.createdAt >= config.maxAgeMs;
  return { nextAt: dead ? nowMs : nowMs + retryDelay(failures, policy, random), dead };
}
