import type { LatencySummary } from '../lib/histogram.ts';

/** Counts over the measured window: messages whose INTENDED send time falls in it. */
export interface WindowCounts {
  readonly sent: number;
  readonly acked: number;
  readonly delivered: number;
}

/** What the one-to-one generator prints as its last JSON line (`type: "result"`). */
export interface GenResult {
  readonly type: 'result';
  readonly target: 'tidings' | 'ws';
  readonly rate: number;
  readonly pairs: number;
  readonly windowMs: number;
  /** Whole run, warm-up included. */
  readonly sent: number;
  readonly acked: number;
  readonly delivered: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Pushes received out of per-sender order (must stay 0). */
  readonly outOfOrder: number;
  readonly window: WindowCounts;
  /** Pushes received during the window, per second. */
  readonly achievedRate: number;
  /** Acks received during the window, per second. */
  readonly ackedRate: number;
  /** Push receive time minus intended send time (coordinated-omission corrected). */
  readonly e2e: LatencySummary;
  /** Ack receive time minus intended send time. */
  readonly ack: LatencySummary;
  /** How far actual sends trailed the schedule. */
  readonly lag: LatencySummary;
  /** Worst push latency (ms) per second of the schedule, warm-up included. */
  readonly e2eMaxBySecond: readonly number[];
  /** Generator CPU over the window, as a fraction of one core. */
  readonly genCpu: number;
  readonly valid: boolean;
  readonly invalidReasons: readonly string[];
}

/** Progress lines the generator prints before its result. */
export type GenEvent = { readonly type: 'ready' } | { readonly type: 'window-start' } | { readonly type: 'window-end' } | GenResult;
