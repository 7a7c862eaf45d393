import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncPlanner } from './sync-planner.ts';

test('sync planner - the cursor is released only after every page target is reached', () => {
  const p = new SyncPlanner();
  const last = new Map<string, number>();
  const get = (c: string): number => last.get(c) ?? 0;
  p.handleSyncResult([{ convId: 'a', maxSeq: 2 }, { convId: 'b', maxSeq: 1 }], 10);
  p.handleSyncResult([{ convId: 'c', maxSeq: 5 }], 20);
  assert.equal(p.handleProgress(get), undefined);
  last.set('a', 2);
  assert.equal(p.handleProgress(get), undefined);
  last.set('c', 5);
  assert.equal(p.handleProgress(get), undefined, 'a later page does not overtake an earlier one');
  last.set('b', 1);
  assert.equal(p.handleProgress(get), 20);
  assert.equal(p.pending, 0);
});

test('sync planner - an empty page completes at once', () => {
  const p = new SyncPlanner();
  p.handleSyncResult([], 7);
  assert.equal(p.handleProgress(() => 0), 7);
});
