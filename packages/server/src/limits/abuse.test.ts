import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAbuseLimits } from './abuse.ts';

const off = { perSecond: 0 };

test('abuse limits - each limit refuses with its own code and others are unaffected', () => {
  let t = 0;
  const l = createAbuseLimits(
    {
      connectsPerIp: { perSecond: 1, burst: 2 },
      messagesPerConnection: { perSecond: 1, burst: 3 },
      messagesPerUser: { perSecond: 1, burst: 4 },
      messagesPerApp: off,
      requestsPerConnection: { perSecond: 1, burst: 1 },
      apiCallsPerApp: { perSecond: 1, burst: 1 },
      maxConnectionsPerUser: 2,
    },
    () => t,
  );
  assert.deepEqual([l.connect('1.1.1.1'), l.connect('1.1.1.1'), l.connect('1.1.1.1'), l.connect('2.2.2.2')], [undefined, undefined, 'rate.connects', undefined]);
  assert.deepEqual([l.opened('a', 'u'), l.opened('a', 'u'), l.opened('a', 'u'), l.opened('b', 'u')], [undefined, undefined, 'limit.connections_per_user', undefined]);
  l.closed('a', 'u');
  assert.equal(l.opened('a', 'u'), undefined, 'a closed connection frees its slot');
  const sends = Array.from({ length: 5 }, () => l.message('c1', 'a', 'u'));
  assert.deepEqual(sends, [undefined, undefined, undefined, 'rate.limited', 'rate.limited']);
  // The user's bucket (4) allows one more from another connection of the same user, then stops.
  assert.deepEqual([l.message('c2', 'a', 'u'), l.message('c2', 'a', 'u')], [undefined, 'rate.limited']);
  assert.deepEqual([l.request('c1'), l.request('c1'), l.apiCall('a'), l.apiCall('a')], [undefined, 'rate.limited', undefined, 'api.rate_limited']);
  t += 5000;
  assert.equal(l.message('c1', 'a', 'u'), undefined, 'buckets refill');
});
