import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationTracker } from './tracker.ts';
import type { Message } from './message.ts';

const msg = (seq: number, convId = 'g:x'): Message => ({
  convId, seq, msgId: `m${seq}`, senderId: 'u', senderDevice: 'd', clientMsgId: `c${seq}`, type: 'text', content: new Uint8Array(), ts: seq, flags: 0,
});
const seqs = (ms: readonly Message[]): number[] => ms.map((m) => m.seq);

test('tracker - surfaces the next seq and drops duplicates', () => {
  const t = new ConversationTracker();
  assert.deepEqual(seqs(t.handleIncoming(msg(1)).surfaced), [1]);
  assert.deepEqual(t.handleIncoming(msg(1)), { surfaced: [], pulls: [] });
  assert.deepEqual(seqs(t.handleIncoming(msg(2)).surfaced), [2]);
  assert.equal(t.lastSeq('g:x'), 2);
});

test('tracker - holds a message past a gap and pulls only the gap', () => {
  const t = new ConversationTracker();
  t.load(new Map([['g:x', 3]]));
  const o = t.handleIncoming(msg(7));
  assert.deepEqual(o.surfaced, []);
  assert.deepEqual(o.pulls, [{ convId: 'g:x', fromSeq: 4, toSeq: 6 }]);
  assert.equal(t.heldCount('g:x'), 1);
  // A second gap while the pull is in flight asks nothing more.
  assert.deepEqual(t.handleIncoming(msg(9)).pulls, []);
});

test('tracker - a pull result fills the gap and drains held messages in order', () => {
  const t = new ConversationTracker();
  t.handleIncoming(msg(3));
  t.handleIncoming(msg(5));
  const o = t.handlePullResult('g:x', [msg(1), msg(2)], 5);
  assert.deepEqual(seqs(o.surfaced), [1, 2, 3]);
  assert.deepEqual(o.pulls, [{ convId: 'g:x', fromSeq: 4, toSeq: 4 }]);
  const o2 = t.handlePullResult('g:x', [msg(4), msg(5)], 5);
  assert.deepEqual(seqs(o2.surfaced), [4, 5]);
  assert.deepEqual(o2.pulls, []);
  assert.equal(t.heldCount('g:x'), 0);
});

test('tracker - maxSeq from sync pulls to it and pages while progress is made', () => {
  const t = new ConversationTracker();
  assert.deepEqual(t.handleMaxSeq('g:x', 4).pulls, [{ convId: 'g:x', fromSeq: 1, toSeq: 4 }]);
  assert.deepEqual(t.handleMaxSeq('g:x', 4).pulls, [], 'one pull in flight per conversation');
  const page = t.handlePullResult('g:x', [msg(1), msg(2)], 4);
  assert.deepEqual(page.pulls, [{ convId: 'g:x', fromSeq: 3, toSeq: 4 }]);
  assert.deepEqual(seqs(t.handlePullResult('g:x', [msg(3), msg(4)], 4).surfaced), [3, 4]);
  assert.deepEqual(t.handleMaxSeq('g:x', 4).pulls, [], 'nothing missing');
});

test('tracker - a pull without progress stops pulling until new input', () => {
  const t = new ConversationTracker();
  t.handleMaxSeq('g:x', 2);
  assert.deepEqual(t.handlePullResult('g:x', [], 2).pulls, []);
  assert.equal(t.isPulling('g:x'), false);
  assert.deepEqual(t.handleMaxSeq('g:x', 2).pulls, [{ convId: 'g:x', fromSeq: 1, toSeq: 2 }]);
});

test('tracker - failed and reset pulls can be asked again', () => {
  const t = new ConversationTracker();
  t.handleMaxSeq('g:x', 2);
  t.handlePullFailed('g:x');
  assert.equal(t.handleMaxSeq('g:x', 2).pulls.length, 1);
  t.resetPulls();
  assert.equal(t.handleMaxSeq('g:x', 2).pulls.length, 1);
});

test('tracker - conversations are independent', () => {
  const t = new ConversationTracker();
  t.handleIncoming(msg(1, 'a'));
  assert.deepEqual(seqs(t.handleIncoming(msg(1, 'b')).surfaced), [1]);
  assert.equal(t.lastSeq('a'), 1);
  assert.equal(t.lastSeq('c'), 0);
});
