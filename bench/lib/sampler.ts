import { sampleProc } from './proc-stats.ts';

/** One per-second sample of a process. */
export interface Sample {
  /** Seconds since the sampler started. */
  readonly t: number;
  /** CPU used since the previous sample, as a fraction of one core. */
  readonly cpu: number;
  readonly rssMiB: number;
}

/**
 * Samples a process's CPU seconds and RSS from /proc every `everyMs` until
 * stopped. A process that has gone away ends the series quietly.
 */
export function startSampler(pid: number, everyMs = 1000): { stop(): Sample[] } {
  const series: Sample[] = [];
  const t0 = performance.now();
  let last = sampleProc(pid);
  let lastT = t0;
  const timer = setInterval(() => {
    try {
      const s = sampleProc(pid);
      const now = performance.now();
      series.push({ t: Math.round((now - t0) / 100) / 10, cpu: Math.round(((s.cpuMs - last.cpuMs) / (now - lastT)) * 100) / 100, rssMiB: Math.round(s.rssBytes / 1024 ** 2) });
      last = s;
      lastT = now;
    } catch {
      clearInterval(timer);
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return series;
    },
  };
}
