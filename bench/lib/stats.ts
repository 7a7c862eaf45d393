/** The median of some numbers (mean of the middle two for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The `p`-th percentile (0..100) of some numbers, nearest rank; 0 when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The trial whose `key` is the median (the lower middle one for an even count). */
export function medianTrial<T>(trials: readonly T[], key: (t: T) => number): T {
  if (trials.length === 0) throw new Error('no trials');
  const s = [...trials].sort((a, b) => key(a) - key(b));
  return s[(s.length - 1) >> 1]!;
}
