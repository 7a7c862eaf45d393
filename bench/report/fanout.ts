import { markdownTable } from '../lib/results-md.ts';
import type { ResultFile } from '../lib/results-json.ts';
import { barChart } from '../lib/svg-chart.ts';
import type { FanoutTrial } from '../load/fanout-run.ts';
import type { FanoutData } from '../scenarios/fanout.ts';
import { int, metaLines, ms, pct, ratio } from './format.ts';

const LABEL: Record<string, string> = { ws: 'ws relay', socketio: 'Socket.IO', nats: 'NATS*', mqtt: 'Mosquitto*' };

/** Charts of the fan-out section, by file name. */
export function fanoutCharts(r: ResultFile<FanoutData>): Record<string, string> {
  const d = r.data;
  const rates = [...new Set(d.medians.map((m) => m.rate))];
  const targets = [...new Set(d.medians.map((m) => m.target))];
  const get = (t: string, rate: number): FanoutTrial | undefined => d.medians.find((m) => m.target === t && m.rate === rate);
  const top = Math.max(...rates);
  return {
    'fanout-latency.svg': barChart({
      title: `Plain fan-out to ${int(d.options.subs)} subscribers at ${top} msgs/s: latency (median trial)`,
      unit: 'ms',
      categories: ['p50', 'p99', 'p99.9'],
      series: targets.map((t) => {
        const m = get(t, top);
        return { name: LABEL[t] ?? t, values: m ? [m.latency.p50, m.latency.p99, m.latency.p999] : [NaN, NaN, NaN] };
      }),
    }),
    'fanout-throughput.svg': barChart({
      title: `Plain fan-out to ${int(d.options.subs)} subscribers: deliveries per second (median trial)`,
      unit: 'deliveries / s',
      categories: rates.map((x) => `${x} msgs/s offered`),
      series: targets.map((t) => ({ name: LABEL[t] ?? t, values: rates.map((x) => get(t, x)?.deliveredRate ?? NaN) })),
    }),
  };
}

/** The markdown body of the fan-out section. */
export function renderFanout(r: ResultFile<FanoutData>): string {
  const d = r.data;
  const side = d.medians.map((m) => {
    const ws = d.medians.find((x) => x.target === 'ws' && x.rate === m.rate);
    return [
      LABEL[m.target] ?? m.target, int(m.rate), int(m.rate * m.subs), int(m.deliveredRate), ms(m.latency.p50), ms(m.latency.p99), ms(m.latency.p999),
      ratio(m.latency.p99, ws?.latency.p99), m.serverCpuMsPer1k.toFixed(2), ratio(m.serverCpuMsPer1k, ws?.serverCpuMsPer1k), int(m.peakRssMiB),
      m.valid ? 'valid' : 'INVALID (no valid trial)',
    ];
  });
  const all = d.trials.map((t) => [
    LABEL[t.target] ?? t.target, int(t.rate), `${int(t.delivered)}/${int(t.expected)}`, String(t.duplicates), String(t.reordered), ms(t.latency.p50), ms(t.latency.p99), ms(t.latency.p999), ms(t.latency.max),
    ms(t.lag.p99), t.serverCpuMsPer1k.toFixed(2), pct(t.serverCpu), pct(t.genCpu), pct(t.otherCpu), t.valid ? 'valid' : `INVALID: ${t.invalidReasons.join('; ')}`,
  ]);
  return [
    metaLines(r),
    '',
    `One publisher, ${int(d.options.subs)} subscribers (one generator process, rotating 127.0.0.x sources where the client library allows),`,
    `open loop: message k has the fixed intended send time t0 + k/rate, latency = receive time minus that time (no coordinated omission);`,
    `${d.options.warmupMs / 1000} s warm-up, ${d.options.durationMs / 1000} s window, ${d.options.trials} trials, median trial by p99. A run whose generator used > 90% of`,
    'a core or fell > 10 ms behind its schedule (p99) is INVALID. Server CPU per 1k deliveries covers the whole generator run.',
    'Peers: `ws relay` (bench/baselines/ws-fanout-server.ts: every frame to every other socket, same Buffer), Socket.IO',
    '(`socket.broadcast.emit`), and *NATS (core subject) and *Mosquitto (MQTT 3.1.1, QoS 0): **no persistence, different protocol**,',
    'upper anchors. Tidings fan-out (groups, chatrooms: stored, sequenced) is measured by the group and chatroom scenarios.',
    '',
    ...(d.medians.some((m) => !m.valid)
      ? ['**Rows marked INVALID** come from runs whose generator could not keep its schedule or saturated its core (see the', 'verdict: other work on the 2 cores, or the peer client library itself); their latency measures the generator, not the', 'peer; server CPU per delivery is the steadier figure.', '']
      : []),
    '### Side by side (median trials)',
    '',
    markdownTable(['peer', 'msgs/s', 'deliveries/s offered', 'delivered/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'p99 / ws', 'server CPU-ms / 1k deliveries', 'CPU / ws', 'peak RSS MiB', 'verdict'], side),
    '',
    '![fan-out latency](charts/fanout-latency.svg)',
    '![fan-out throughput](charts/fanout-throughput.svg)',
    '',
    '### Every trial',
    '',
    markdownTable(['peer', 'msgs/s', 'delivered (window)', 'dup', 'reordered', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'send lag p99 ms', 'server CPU-ms/1k', 'server CPU', 'gen CPU', 'other CPU', 'verdict'], all),
    '',
  ].join('\n');
}
