import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/**
 * An HDR-style latency histogram (node's `createHistogram`), recording in
 * microseconds so sub-millisecond latencies keep their resolution.
 */
export class LatencyHistogram {
  private readonly h: RecordableHistogram = createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });

  /** Records one latency given in milliseconds (clamped to at least 1 µs). */
  recordMs(ms: number): void {
    this.h.record(Math.max(1, Math.round(ms * 1000)));
  }

  /** Percentiles in milliseconds; zeros when nothing was recorded. */
  summary(): LatencySummary {
    const n = this.h.count;
    const at = (p: number): number => (n === 0 ? 0 : this.h.percentile(p) / 1000);
    return { count: n, p50: at(50), p99: at(99), p999: at(99.9), max: n === 0 ? 0 : this.h.max / 1000 };
  }
}
