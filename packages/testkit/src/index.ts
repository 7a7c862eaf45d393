/**
 * @tidings/testkit (private): tools for tests that break Tidings on purpose.
 *
 * - `startServer()` runs the real server as a child process (kill -9, stop, restart).
 * - `createFaultProxy()` / `createTcpFaultProxy()` sit between client and server
 *   (or server and NATS/PostgreSQL) and cut, stall, delay, drop and duplicate.
 * - `createRecorder()` + `check()` record client histories and check the
 *   delivery promises (no loss, no duplicates, no reordering) over all of them.
 *
 * @example
 * ```ts
 * import { startServer, createFaultProxy, createRecorder, check, formatCounters } from '@tidings/testkit';
 * const server = await startServer();
 * const proxy = await createFaultProxy({ target: server.wsUrl, seed: 7, faults: { dropAcks: 0.3, cut: { everyMs: 400 } } });
 * // ... clients connect to proxy.url and record into recorders ...
 * const report = check(recorders, { members: (c) => membersOf(c) });
 * assert.ok(report.ok, `seed=${proxy.seed} ${formatCounters(proxy.stats())}\n${report.format()}`);
 * ```
 */
export { createRandom, mulberry32 } from './random.ts';
export type { Random } from './random.ts';

export { emptyCounters, formatCounters, chanceFor, validateFaults, mergeFaults } from './fault-config.ts';
export type {
  Direction,
  DirectionalChance,
  FaultTarget,
  PeriodicFault,
  StallFault,
  FrameRule,
  FaultConfig,
  FaultCounters,
} from './fault-config.ts';
export { frameCase, judgeFrame, normaliseCase } from './frame-rules.ts';
export type { FrameVerdict } from './frame-rules.ts';
export { createFaultProxy } from './fault-proxy.ts';
export type { FaultProxy, FaultProxyOptions, ProxyControls } from './fault-proxy.ts';
export { createTcpFaultProxy } from './tcp-proxy.ts';
export type { TcpFaultProxy, TcpFaultProxyOptions } from './tcp-proxy.ts';

export { createRecorder, deviceName } from './history.ts';
export type { Recorder, DeviceHistory, HistoryEvent, SurfacedMessage, AckInfo } from './history.ts';
export { check } from './history-check.ts';
export type { CheckOptions } from './history-check.ts';
export { ANOMALY_KINDS, formatReport } from './history-report.ts';
export type { Anomaly, AnomalyKind, HistoryReport, HistoryTotals } from './history-report.ts';

export { startServer, makeTempDir, LauncherError, REPO_ROOT } from './launcher.ts';
export type { StartServerOptions, ServerHandle, RuntimeInfo, DevApp } from './launcher.ts';
