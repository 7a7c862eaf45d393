import type { ResultMeta } from '../lib/results-json.ts';
import { runHeader } from '../lib/results-md.ts';

/** Thousands separators, no decimals. */
export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
/** One decimal. */
export const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));
/** Milliseconds: no decimals from 100 up, two below. */
export const ms = (n: number): string => (!Number.isFinite(n) ? 'n/a' : n >= 100 ? n.toFixed(0) : n.toFixed(2));
/** `a / b` as "1.23x". */
export const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a) ? 'n/a' : `${(a / b).toFixed(2)}x`);
/** A fraction of one core as a percentage. */
export const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;

/** The lines every section opens with. */
export function metaLines(m: ResultMeta): string {
  return runHeader(m);
}
