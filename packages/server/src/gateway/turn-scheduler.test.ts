import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTurnScheduler } from './turn-scheduler.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A clock that only moves when a task says it worked: each task below costs 1 ms. */
function fakeClock() {
  let t = 0;
  return { now: () => t, work: (ms = 1) => void (t += ms) };
}

test('turn scheduler - runs in arrival order, within the time budget a turn, yielding to I/O between batches', async () => {
  const clock = fakeClock();
  const s = createTurnScheduler({ budgetMs: 4, maxQueued: 1000, now: clock.now });
  const ran: number[] = [];
  let polls = 0;
  const poller = setInterval(() => polls++, 0);
  for (let i = 0; i < 40; i++)
    s.run(() => {
      ran.push(i);
      clock.work();
    });
  // Light load: the first ones ran at once, the rest wait for their turns.
  assert.deepEqual(ran, [0, 1, 2, 3]);
  assert.equal(s.queued, 36);
  while (s.queued > 0) await turn();
  clearInterval(poller);
  assert.deepEqual(ran, Array.from({ length: 40 }, (_, i) => i));
  assert.ok(polls > 0, 'timers ran between batches');
});

test('turn scheduler - cheap requests run many to a turn: the budget is time, not a count', async () => {
  const clock = fakeClock();
  const s = createTurnScheduler({ budgetMs: 4, maxQueued: 1000, now: clock.now });
  const ran: number[] = [];
  for (let i = 0; i < 500; i++)
    s.run(() => {
      ran.push(i);
      clock.work(0.001);
    });
  assert.equal(ran.length, 500, 'all ran at once');
  // One expensive request spends the turn: the next waits.
  s.run(() => clock.work(5));
  s.run(() => ran.push(-1));
  assert.equal(ran.length, 500);
  await turn();
  await turn();
  assert.equal(ran.at(-1), -1);
});

test('turn scheduler - the first lane goes ahead of queued requests', async () => {
  const clock = fakeClock();
  const s = createTurnScheduler({ budgetMs: 2, maxQueued: 1000, now: clock.now });
  const ran: string[] = [];
  const task = (name: string) => () => {
    ran.push(name);
    clock.work();
  };
  for (let i = 0; i < 6; i++) s.run(task(`r${i}`));
  s.runFirst(task('u0'));
  s.runFirst(task('u1'));
  s.runFirst(task('u2'));
  while (s.queued > 0) await turn();
  assert.deepEqual(ran, ['r0', 'r1', 'u0', 'u1', 'u2', 'r2', 'r3', 'r4', 'r5']);
});

test('turn scheduler - a source that fills the queue is paused, and resumed once it drained to half', async () => {
  const clock = fakeClock();
  const s = createTurnScheduler({ budgetMs: 2, maxQueued: 10, now: clock.now });
  const events: string[] = [];
  const source = { pause: () => events.push('pause'), resume: () => events.push('resume') };
  for (let i = 0; i < 14; i++) s.run(() => clock.work(), source);
  assert.deepEqual(events, ['pause']);
  while (s.queued > 5) await turn();
  await turn();
  assert.deepEqual(events, ['pause', 'resume']);
  s.forget(source);
});

test('turn scheduler - costly requests spend the turn by units even when they take no time', async () => {
  const s = createTurnScheduler({ budgetMs: 1000, maxUnitsPerTurn: 16, maxQueued: 1000, now: () => 0 });
  const ran: string[] = [];
  for (let i = 0; i < 4; i++) s.run(() => ran.push(`read${i}`), undefined, 8);
  for (let i = 0; i < 3; i++) s.run(() => ran.push(`send${i}`));
  // 8 + 8 units: the turn is spent after two reads, however fast.
  assert.deepEqual(ran, ['read0', 'read1']);
  await turn();
  assert.deepEqual(ran, ['read0', 'read1', 'read2', 'read3']);
  await turn();
  assert.deepEqual(ran, ['read0', 'read1', 'read2', 'read3', 'send0', 'send1', 'send2']);
});
