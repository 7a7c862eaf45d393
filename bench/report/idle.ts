import { markdownTable } from '../lib/results-md.ts';
import type { ResultFile } from '../lib/results-json.ts';
import { barChart } from '../lib/svg-chart.ts';
import { median } from '../lib/stats.ts';
import type { IdleData, IdleMedian } from '../scenarios/idle.ts';
import { f1, int, metaLines, ms, pct, ratio } from './format.ts';

/** Target of the issue: RSS per idle authenticated connection. */
export const IDLE_TARGET_KB = 15;

const LABEL: Record<string, string> = {
  tidings: 'Tidings',
  ws: 'ws (bare sockets)',
  socketio: 'Socket.IO',
  nats: 'NATS*',
  mqtt: 'Mosquitto*',
};

/** Charts of the idle section, by file name. */
export function idleCharts(r: ResultFile<IdleData>): Record<string, string> {
  const d = r.data;
  const counts = [...new Set(d.medians.map((m) => m.count))];
  const targets = [...new Set(d.medians.map((m) => m.target))];
  const get = (t: string, c: number): IdleMedian | undefined => d.medians.find((m) => m.target === t && m.count === c);
  return {
    'idle-memory.svg': barChart({
      title: 'Idle connections: server RSS per connection (median, lower is better)',
      unit: 'KB per connection',
      categories: counts.map((c) => `${int(c)} connections`),
      series: targets.map((t) => ({ name: LABEL[t] ?? t, values: counts.map((c) => get(t, c)?.rssPerConnKB ?? NaN) })),
      target: { value: IDLE_TARGET_KB, label: `target <= ${IDLE_TARGET_KB} KB (Tidings)` },
    }),
    'idle-connect.svg': barChart({
      title: `Connect latency (median of trials) while opening ${int(Math.max(...counts))} connections (200 in flight)`,
      unit: 'ms',
      categories: ['p50', 'p99', 'max'],
      series: targets.map((t) => {
        const tr = d.trials.filter((x) => x.target === t && x.count === Math.max(...counts));
        const pick = (k: 'p50' | 'p99' | 'max'): number => median(tr.map((x) => x.connect[k]));
        return { name: LABEL[t] ?? t, values: [pick('p50'), pick('p99'), pick('max')] };
      }),
    }),
  };
}

/** The markdown body of the idle section. */
export function renderIdle(r: ResultFile<IdleData>): string {
  const d = r.data;
  const counts = [...new Set(d.medians.map((m) => m.count))];
  const get = (t: string, c: number): IdleMedian | undefined => d.medians.find((m) => m.target === t && m.count === c);
  const targetRows = counts.map((c) => {
    const t = get('tidings', c);
    const ok = t !== undefined && t.ok && t.rssPerConnKB <= IDLE_TARGET_KB;
    return [`<= ${IDLE_TARGET_KB} KB RSS per idle authenticated connection (member of ${d.options.groups} groups) at ${int(c)}`, t ? `${f1(t.rssPerConnKB)} KB (JS heap ${f1(t.heapPerConnKB)} KB)` : 'not run', t ? (ok ? 'PASS' : 'FAIL') : '-'];
  });
  const side = d.medians.map((m) => {
    const ws = get('ws', m.count);
    const td = get('tidings', m.count);
    return [
      LABEL[m.target] ?? m.target, int(m.count), f1(m.rssPerConnKB), f1(m.heapPerConnKB), ratio(td?.rssPerConnKB, m.rssPerConnKB), ratio(m.rssPerConnKB, ws?.rssPerConnKB),
      int(m.rssMiB), pct(m.idleCpu), ms(m.connectP99), m.ok ? 'all held' : 'FAILURES',
    ];
  });
  const all = d.trials.map((t) => [
    LABEL[t.target] ?? t.target, int(t.count), int(t.connected), String(t.failed), String(t.dropped), int(t.connectAllMs), ms(t.connect.p50), ms(t.connect.p99),
    f1(t.rssBaseMiB), f1(t.rssMiB), f1(t.rssPerConnKB), f1(t.heapPerConnKB), f1(t.externalPerConnKB), pct(t.idleCpu), pct(t.genConnectCpu), int(t.genRssMiB), pct(t.otherCpu),
  ]);
  return [
    metaLines(r),
    '',
    `One server process; one generator process holds every connection (rotating 16 source addresses 127.0.0.10-25, ${d.options.inFlight} handshakes in flight).`,
    'Tidings connections are authenticated (JWT in the subprotocol, welcome frame received); the ws baseline holds bare sockets',
    '(bench/baselines/ws-echo-server.ts), Socket.IO plain sockets (websocket transport), NATS and Mosquitto plain client connections',
    '(MQTT 3.1.1, keepalive 60 s). Memory per connection = (RSS with N connections - RSS with none) / N, each after a full GC',
    '(`--expose-gc` + bench/lib/gc-probe.ts, triggered by SIGUSR2) for the Node servers; JS heap likewise from `process.memoryUsage()`.',
    `Idle CPU = server utime+stime over ${d.options.idleMs / 1000} s of silence after a ${d.options.settleMs / 1000} s settle (Tidings pings every socket every 25 s by`,
    'default, so a window may or may not hold one sweep). "other CPU" = the rest of the machine (other sessions share these 2 cores).',
    '',
    '**Secure session off** (`TIDINGS_SECURE_SESSION=off`, bench/lib/tidings-server.ts): the generators speak plaintext `tidings.v1`, so',
    'the per-connection key agreement and per-frame encryption of the secure session are not in these figures.',
    '',
    ...(d.options.groups > 0
      ? [
          `**Group membership**: before the baseline memory is taken, every Tidings user is made a member of ${d.options.groups} groups through the signed`,
          `server API (\`POST /v1/groups\` with 500 members each; bench/load/idle-groups.ts), so the figures are for members of ${d.options.groups} groups.`,
        ]
      : ['**Not measured: group membership** (`--groups 0`): these connections belong to no group.']),
    '',
    `*NATS and Mosquitto: brokers with no persistence and a different protocol, shown as upper anchors. The NATS client cannot pick`,
    'a source address, so its sockets all come from 127.0.0.1.',
    `Trials per count: Tidings ${d.options.trials} (median reported), each peer ${d.options.peerTrials}.`,
    '',
    '### Targets',
    '',
    markdownTable(['target', 'measured (median)', 'verdict'], targetRows),
    '',
    '### Side by side (medians)',
    '',
    markdownTable(['server', 'connections', 'RSS KB / conn', 'JS heap KB / conn', 'Tidings / this (RSS)', 'this / ws (RSS)', 'server RSS MiB', 'idle CPU % core', 'connect p99 ms', 'held'], side),
    '',
    '![RSS per idle connection](charts/idle-memory.svg)',
    '![connect latency](charts/idle-connect.svg)',
    '',
    '### Every trial',
    '',
    markdownTable(
      ['server', 'N', 'connected', 'failed', 'dropped', 'connect all ms', 'connect p50 ms', 'connect p99 ms', 'RSS before MiB', 'RSS with N MiB', 'RSS KB/conn', 'heap KB/conn', 'external KB/conn', 'idle CPU', 'gen CPU (connecting)', 'gen RSS MiB', 'other CPU'],
      all,
    ),
    '',
  ].join('\n');
}
