import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextImmediate } from 'node:timers/promises';
import { SLICE_MS, flushAtTurnEnd, type TurnWriter } from './turn-writes.ts';

/** A writer whose flush burns `costMs` of CPU (a socket write) and logs its name. */
function writer(name: string, log: string[], costMs = 0): TurnWriter {
  return {
    flushTurn() {
      const end = performance.now() + costMs;
      while (performance.now() < end);
      log.push(name);
    },
  };
}

test('turn writes - a small flush runs whole at the end of the turn, before any I/O or immediate', async () => {
  const log: string[] = [];
  setImmediate(() => log.push('immediate'));
  for (let i = 0; i < 300; i++) flushAtTurnEnd(writer(`w${i}`, log, 0.01));
  assert.deepEqual(log, [], 'nothing is written before the turn ends');
  await nextImmediate();
  await nextImmediate();
  assert.equal((log as string[]).indexOf('immediate'), 300, 'every writer flushed before the immediate ran');
});

test('turn writes - a long flush yields to the event loop and goes on where it stopped; writers joining meanwhile go to the tail', async () => {
  const log: string[] = [];
  const n = 3000;
  // ~0.02 ms per writer: the whole flush takes ~60 ms, far more than one slice.
  for (let i = 0; i < n; i++) flushAtTurnEnd(writer(`w${i}`, log, 0.02));
  // Work that arrives while the flush runs: it must not wait for the whole flush.
  setImmediate(() => {
    log.push('io');
    flushAtTurnEnd(writer('late', log));
  });
  const deadline = Date.now() + 10_000;
  while (!log.includes('late') && Date.now() < deadline) await nextImmediate();
  const io = log.indexOf('io');
  assert.ok(io > 0 && io < n, `the immediate ran in the middle of the flush (after ${io} of ${n} writers)`);
  assert.ok(
    io * 0.02 < 60 / 2,
    `it ran within the first half of the flush, not after ${(io * 0.02).toFixed(1)} ms of ~60 (slices of ${SLICE_MS} ms)`,
  );
  // Everyone in join order, each once, the late writer last.
  assert.deepEqual(
    log.filter((x) => x !== 'io'),
    [...Array.from({ length: n }, (_, i) => `w${i}`), 'late'],
  );
});
