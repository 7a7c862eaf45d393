// Keeps the benchmark harness from rotting: the one-to-one scenario's
// machinery end to end (server child, generator child, /proc sampling,
// report) at a tiny rate. Never writes bench/RESULTS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, runOneToOne } from './scenarios/one-to-one.ts';
import { renderOneToOne } from './load/one-to-one-report.ts';

test('bench smoke - one-to-one delivers against tidings and the ws baseline', async () => {
  const run = await runOneToOne({ ...DEFAULTS, pairs: 4, fixedRate: 200, fixedMs: 1000, warmupMs: 300, drainMs: 2000, searchRates: [400], stepMs: 800 });
  for (const r of [run.fixed.tidings, run.fixed.ws, ...run.search.tidings, ...run.search.ws]) {
    assert.ok(r.window.sent > 0, `${r.target} sent nothing`);
    assert.equal(r.window.delivered, r.window.sent, `${r.target} @ ${r.rate}: every measured message is pushed to the peer`);
    assert.equal(r.window.acked, r.window.sent, `${r.target} @ ${r.rate}: every measured message is acked`);
    assert.equal(r.errors, 0);
    assert.equal(r.outOfOrder, 0);
    assert.ok(r.e2e.count > 0 && r.e2e.p99 > 0);
    assert.ok(r.serverCpuMs >= 0 && r.peakRssMiB > 0);
  }
  const md = renderOneToOne(run, { command: 'smoke', date: 'now', machine: 'here', commit: 'x' });
  assert.match(md, /Tidings vs ws baseline/);
});

test('bench smoke - idle capacity holds connections on tidings and every peer, and renders', async () => {
  const { DEFAULTS: IDLE, runIdle } = await import('./scenarios/idle.ts');
  const { renderIdle, idleCharts } = await import('./report/idle.ts');
  const data = await runIdle({ ...IDLE, counts: [20], trials: 1, peerTrials: 1, settleMs: 100, idleMs: 300, inFlight: 10 });
  for (const t of data.trials) {
    assert.equal(t.connected, 20, `${t.target}: every connection opened (${t.firstError ?? ''})`);
    assert.equal(t.dropped, 0, `${t.target}: nothing dropped while idle`);
    assert.ok(t.rssMiB > 0 && t.connect.count === 20);
  }
  assert.deepEqual(new Set(data.trials.map((t) => t.target)), new Set(['tidings', 'ws', 'socketio', 'nats', 'mqtt']));
  const file = { scenario: 'idle', command: 'smoke', date: 'now', commit: 'x', machine: 'here', seconds: 1, data };
  assert.match(renderIdle(file), /Side by side/);
  assert.match(idleCharts(file)['idle-memory.svg']!, /^<svg/);
});

test('bench smoke - storm: every client syncs exactly its missed messages, and renders', async () => {
  const { DEFAULTS: STORM, runStorm } = await import('./scenarios/storm.ts');
  const { renderStorm, stormCharts } = await import('./report/storm.ts');
  const data = await runStorm({ ...STORM, clients: 30, convs: 2, perConv: 7, trials: 1 });
  const t = data.trials[0]!;
  assert.equal(t.synced, 30);
  assert.equal(t.received, 30 * 2 * 7);
  assert.equal(t.lost + t.duplicates + t.outOfOrder + t.wrongContent + t.errors, 0);
  assert.equal(data.baseline?.synced, 30, 'the ws baseline connects every client');
  const file = { scenario: 'storm', command: 'smoke', date: 'now', commit: 'x', machine: 'here', seconds: 1, data };
  assert.match(renderStorm(file), /Tidings vs ws baseline/);
  assert.match(stormCharts(file)['storm-sync.svg']!, /^<svg/);
});

test('bench smoke - plain fan-out delivers on every peer, and renders', async () => {
  const { DEFAULTS: FAN, runFanout } = await import('./scenarios/fanout.ts');
  const { renderFanout, fanoutCharts } = await import('./report/fanout.ts');
  const data = await runFanout({ ...FAN, subs: 5, rates: [20], trials: 1, warmupMs: 200, durationMs: 500 });
  for (const t of data.trials) {
    assert.ok(t.windowSent > 0, `${t.target} sent nothing`);
    assert.equal(t.delivered, t.expected, `${t.target}: every subscriber got every message`);
    assert.equal(t.duplicates + t.reordered, 0);
  }
  const file = { scenario: 'fanout', command: 'smoke', date: 'now', commit: 'x', machine: 'here', seconds: 1, data };
  assert.match(renderFanout(file), /Side by side/);
  assert.match(fanoutCharts(file)['fanout-latency.svg']!, /^<svg/);
});

test('bench smoke - chatroom: the raw-socket generator gets every in-window message to every member on every target', async () => {
  const { chatroomTrial } = await import('./scenarios/chatroom.ts');
  for (const kind of ['tidings', 'ws', 'socketio'] as const) {
    const r = await chatroomTrial(kind, 20, 20, 1);
    assert.ok(r.sentInWindow > 0, `${kind} sent nothing`);
    assert.equal(r.deliveries, r.expected, `${kind}: every member got every in-window message`);
    assert.equal(r.latency.count, r.deliveries, `${kind}: every delivery has its latency`);
    assert.equal(r.errors, 0);
    assert.ok(r.deliveriesPerSec > 0 && r.genCpu > 0);
  }
});
