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
