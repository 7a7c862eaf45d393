import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTurnScheduler } from './turn-scheduler.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('turn scheduler - runs in arrival order, at most perTurn a turn, yielding to I/O between batches', async () => {
  const s = createTurnScheduler({ perTurn: 4, maxQueued: 1000 });
  const ran: number[] = [];
  let polls = 0;
  const poller = setInterval(() => polls++, 0);
  for (let i = 0; i < 40; i++) s.run(() => ran.push(i));
  // Light load: the first ones ran at once, the rest wait for their turns.
  assert.deepEqual(ran, [0, 1, 2, 3]);
  assert.equal(s.queued, 36);
  while (s.queued > 0) await turn();
  clearInterval(poller);
  assert.deepEqual(ran, Array.from({ length: 40 }, (_, i) => i));
  assert.ok(polls > 0, 'timers ran between batches');
});

test('turn scheduler - the first lane goes ahead of queued requests', async () => {
  const s = createTurnScheduler({ perTurn: 2, maxQueued: 1000 });
  const ran: string[] = [];
  for (let i = 0; i < 6; i++) s.run(() => ran.push(`r${i}`));
  s.runFirst(() => ran.push('u0'));
  s.runFirst(() => ran.push('u1'));
  s.runFirst(() => ran.push('u2'));
  while (s.queued > 0) await turn();
  assert.deepEqual(ran, ['r0', 'r1', 'u0', 'u1', 'u2', 'r2', 'r3', 'r4', 'r5']);
});

test('turn scheduler - a source that fills the queue is paused, and resumed once it drained to half', async () => {
  const s = createTurnScheduler({ perTurn: 2, maxQueued: 10 });
  const events: string[] = [];
  const source = { pause: () => events.push('pause'), resume: () => events.push('resume') };
  for (let i = 0; i < 14; i++) s.run(() => {}, source);
  assert.deepEqual(events, ['pause']);
  while (s.queued > 5) await turn();
  await turn();
  assert.deepEqual(events, ['pause', 'resume']);
  s.forget(source);
});
