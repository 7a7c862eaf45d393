import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heartbeat } from './heartbeat.ts';
import { ManualClock } from './clock.ts';

test('heartbeat - pings each interval and declares death after two silent intervals', () => {
  const clock = new ManualClock();
  const log: string[] = [];
  const hb = new Heartbeat(clock, { ping: () => log.push('ping'), dead: () => log.push('dead') });
  hb.start(1000);
  clock.advance(1000);
  assert.deepEqual(log, ['ping']);
  hb.handleFrame(); // at 1000
  clock.advance(1000);
  assert.deepEqual(log, ['ping', 'ping']);
  clock.advance(1000);
  assert.deepEqual(log, ['ping', 'ping', 'dead'], 'silent since 1000');
  assert.equal(clock.pending, 0);
});
