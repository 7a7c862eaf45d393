/**
 * The outcome of a history check: counts per anomaly kind, a few examples
 * of each, and a readable rendering for assertion messages.
 */

/** The invariants a history can break. */
export const ANOMALY_KINDS = ['lost', 'duplicate', 'divergent', 'sender-order', 'skip', 'multi-device'] as const;

/** One invariant a history can break. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** One broken invariant, located as precisely as the history allows. */
export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly convId: string;
  /** `user/device` where it was observed, when one device is to blame. */
  readonly device?: string;
  readonly msgId?: string;
  readonly seq?: number;
  readonly detail: string;
}

/** Size of what was checked. */
export interface HistoryTotals {
  devices: number;
  sent: number;
  acked: number;
  surfaced: number;
}

/** What `check()` returns. */
export interface HistoryReport {
  /** True when no anomaly of any kind was found. */
  readonly ok: boolean;
  readonly counts: Readonly<Record<AnomalyKind, number>>;
  /** Up to `maxExamples` anomalies per kind, in discovery order. */
  readonly examples: Readonly<Record<AnomalyKind, readonly Anomaly[]>>;
  readonly totals: Readonly<HistoryTotals>;
  /** Multi-line summary; pass it as the message of an assertion. */
  format(): string;
}

/** Collects anomalies, keeping counts exact and examples bounded. */
export interface ReportBuilder {
  add(a: Anomaly): void;
  finish(totals: HistoryTotals): HistoryReport;
}

/** Creates a builder keeping at most `maxExamples` examples per kind. */
export function createReportBuilder(maxExamples: number): ReportBuilder {
  const counts = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0])) as Record<AnomalyKind, number>;
  const examples = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, [] as Anomaly[]])) as Record<AnomalyKind, Anomaly[]>;
  return {
    add(a) {
      counts[a.kind]++;
      if (examples[a.kind].length < maxExamples) examples[a.kind].push(a);
    },
    finish(totals) {
      const ok = ANOMALY_KINDS.every((k) => counts[k] === 0);
      const report: HistoryReport = {
        ok,
        counts: Object.freeze(counts),
        examples: Object.freeze(examples),
        totals: Object.freeze({ ...totals }),
        format: () => formatReport(report),
      };
      return report;
    },
  };
}

function formatAnomaly(a: Anomaly): string {
  const where = [`conv=${a.convId}`];
  if (a.seq !== undefined) where.push(`seq=${a.seq}`);
  if (a.msgId !== undefined) where.push(`msg=${a.msgId}`);
  if (a.device !== undefined) where.push(`device=${a.device}`);
  return `    - ${where.join(' ')}: ${a.detail}`;
}

/** Renders a report: a verdict line, the totals, then each broken invariant. */
export function formatReport(r: HistoryReport): string {
  const t = r.totals;
  const lines = [
    `history check: ${r.ok ? 'OK' : 'FAILED'} (${t.devices} devices, ${t.sent} sent, ${t.acked} acked, ${t.surfaced} surfaced)`,
  ];
  for (const kind of ANOMALY_KINDS) {
    const n = r.counts[kind];
    if (n === 0) continue;
    const shown = r.examples[kind];
    lines.push(`  ${kind}: ${n}${shown.length < n ? ` (showing ${shown.length})` : ''}`);
    for (const a of shown) lines.push(formatAnomaly(a));
  }
  return lines.join('\n');
}
