import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check } from './history-check.ts';
import { createRecorder } from './history.ts';

const msg = (seq: number, id: string, sender = 'a', coversTo?: number) => ({ seq, msgId: id, clientMsgId: `c-${id}`, senderId: sender, ...(coversTo ? { coversTo } : {}) });

test('history markers - a marker fills its range: covered acked messages are not lost, nothing is skipped or divergent', () => {
  const a = createRecorder('a', 'd');
  const b = createRecorder('b', 'd');
  for (const [i, id] of ['m1', 'm2', 'm3', 'm4'].entries()) {
    a.sent('r:x', `c-${id}`);
    a.acked('r:x', `c-${id}`, { msgId: id, seq: i + 1 });
  }
  for (const [i, id] of ['m1', 'm2', 'm3', 'm4'].entries()) a.surfaced('r:x', msg(i + 1, id));
  // b missed 2..3 (a window marker), then got 4.
  b.surfaced('r:x', msg(1, 'm1'));
  b.surfaced('r:x', msg(2, 'skip:2-3', '', 3));
  b.surfaced('r:x', msg(4, 'm4'));
  const r = check([a, b], { members: () => ['a', 'b'] });
  assert.ok(r.ok, r.format());
});

test('history markers - a gap no marker covers is still a skip and a lost message', () => {
  const a = createRecorder('a', 'd');
  const b = createRecorder('b', 'd');
  for (const [i, id] of ['m1', 'm2', 'm3'].entries()) {
    a.sent('r:x', `c-${id}`);
    a.acked('r:x', `c-${id}`, { msgId: id, seq: i + 1 });
    a.surfaced('r:x', msg(i + 1, id));
  }
  b.surfaced('r:x', msg(1, 'm1'));
  b.surfaced('r:x', msg(3, 'm3'));
  const r = check([a, b], { members: () => ['a', 'b'] });
  assert.equal(r.ok, false);
  assert.match(r.format(), /lost|skip/);
});
