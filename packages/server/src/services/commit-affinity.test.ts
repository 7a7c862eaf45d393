import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownerOf } from './commit-affinity.ts';

test('commit affinity - rendezvous owner is stable, spread, and moves only the keys of a node that leaves', () => {
  const nodes = ['a', 'b', 'c'];
  const keys = Array.from({ length: 3000 }, (_, i) => `app\u0000p:u${i}:v${i}`);
  const owners = keys.map((k) => ownerOf(k, nodes)!);
  for (const n of nodes) {
    const share = owners.filter((o) => o === n).length / keys.length;
    assert.ok(share > 0.25 && share < 0.42, `${n} owns ${share}`);
  }
  assert.deepEqual(keys.map((k) => ownerOf(k, [...nodes].reverse())), owners, 'order of the node list does not matter');
  const without = keys.map((k) => ownerOf(k, ['a', 'c'])!);
  for (const [i, o] of owners.entries()) if (o !== 'b') assert.equal(without[i], o, 'keys of the remaining nodes stay put');
  assert.equal(ownerOf('k', []), undefined);
});
