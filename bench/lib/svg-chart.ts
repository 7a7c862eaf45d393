// Hand-written SVG charts for bench/charts/ (no chart library): grouped bars
// and lines, with a light grid, value labels and an optional target line.

const PALETTE = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5', '#d53f8c', '#718096'];
const W = 720;
const H = 360;
const M = { top: 48, right: 20, bottom: 64, left: 64 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number): string => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A "nice" axis maximum at or above `v` (1, 2, 2.5 or 5 times a power of ten). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(title: string, unit: string, max: number, body: string, legend: readonly string[]): string {
  const ph = H - M.top - M.bottom;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = M.top + ph * (1 - f);
      return `<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#e2e8f0"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#4a5568">${num(max * f)}</text>`;
    })
    .join('');
  const leg = legend
    .map((name, i) => `<rect x="${M.left + i * 130}" y="${H - 22}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${M.left + i * 130 + 16}" y="${H - 12}" font-size="12" fill="#2d3748">${esc(name)}</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold" fill="#1a202c">${esc(title)}</text>`,
    `<text x="14" y="${M.top + ph / 2}" transform="rotate(-90 14 ${M.top + ph / 2})" text-anchor="middle" font-size="12" fill="#4a5568">${esc(unit)}</text>`,
    grid,
    body,
    leg,
    '</svg>',
    '',
  ].join('\n');
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  readonly title: string;
  readonly unit: string;
  /** One group of bars per category (x axis). */
  readonly categories: readonly string[];
  /** One bar per series in each group; NaN leaves a gap. */
  readonly series: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
  readonly target?: { readonly value: number; readonly label: string };
}

/** A grouped bar chart. */
export function barChart(o: BarChartOptions): string {
  const all = o.series.flatMap((s) => s.values.filter(Number.isFinite));
  const max = niceMax(Math.max(...all, o.target?.value ?? 0) * 1.08);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const gw = pw / Math.max(1, o.categories.length);
  const bw = Math.min(48, (gw * 0.8) / Math.max(1, o.series.length));
  const y = (v: number): number => M.top + ph * (1 - v / max);
  const parts: string[] = [];
  o.categories.forEach((cat, ci) => {
    const x0 = M.left + gw * ci + (gw - bw * o.series.length) / 2;
    o.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      if (!Number.isFinite(v)) return;
      const x = x0 + si * bw;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 3).toFixed(1)}" height="${(M.top + ph - y(v)).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${s.name} ${cat}: ${num(v)} ${o.unit}`)}</title></rect>`);
      parts.push(`<text x="${(x + (bw - 3) / 2).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#2d3748">${num(v)}</text>`);
    });
    parts.push(`<text x="${(M.left + gw * ci + gw / 2).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle" font-size="12" fill="#2d3748">${esc(cat)}</text>`);
  });
  if (o.target) {
    const ty = y(o.target.value).toFixed(1);
    parts.push(`<line x1="${M.left}" y1="${ty}" x2="${W - M.right}" y2="${ty}" stroke="#e53e3e" stroke-dasharray="6 4"/><text x="${W - M.right - 4}" y="${Number(ty) - 5}" text-anchor="end" font-size="11" fill="#e53e3e">${esc(o.target.label)}</text>`);
  }
  return frame(o.title, o.unit, max, parts.join('\n'), o.series.map((s) => s.name));
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  readonly title: string;
  readonly unit: string;
  readonly xLabel: string;
  readonly series: ReadonlyArray<{ readonly name: string; readonly points: ReadonlyArray<readonly [number, number]> }>;
}

/** A line chart over a shared numeric x axis. */
export function lineChart(o: LineChartOptions): string {
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(1, ...xs));
  const max = niceMax(Math.max(...ys, 0) * 1.08);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number): string => (M.left + (pw * x) / xMax).toFixed(1);
  const py = (v: number): string => (M.top + ph * (1 - v / max)).toFixed(1);
  const lines = o.series.map((s, i) => `<polyline fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2" points="${s.points.map(([x, v]) => `${px(x)},${py(v)}`).join(' ')}"/>`);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${px(xMax * f)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11" fill="#4a5568">${num(xMax * f)}</text>`);
  const xl = `<text x="${M.left + pw / 2}" y="${M.top + ph + 34}" text-anchor="middle" font-size="12" fill="#4a5568">${esc(o.xLabel)}</text>`;
  return frame(o.title, o.unit, max, [...lines, ...ticks, xl].join('\n'), o.series.map((s) => s.name));
}
