import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationTracker, type PullSpec } from './tracker.ts';
import type { Message } from './message.ts';

const msg = (seq: number, convId = 'g:x'): Message => ({
  convId, seq, msgId: `m${seq}`, senderId: 'u', senderDevice: 'd', clientMsgId: `c${seq}`, type: 'text', content: new Uint8Array(), ts: seq, flags: 0,
});
const seqs = (ms: readonly Message[]): number[] => ms.map((m) => m.seq);
const ranges = (ps: readonly PullSpec[]) => ps.map(({ convId, fromSeq, toSeq }) => ({ convId, fromSeq, toSeq }));

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
  assert.deepEqual(ranges(o.pulls), [{ convId: 'g:x', fromSeq: 4, toSeq: 6 }]);
  assert.equal(t.heldCount('g:x'), 1);
  // A second gap while the pull is in flight asks nothing more.
  assert.deepEqual(t.handleIncoming(msg(9)).pulls, []);
});

test('tracker - a pull result fills the gap and drains held messages in order', () => {
  const t = new ConversationTracker();
  const first = t.handleIncoming(msg(3)).pulls[0]!;
  t.handleIncoming(msg(5));
  const o = t.handlePullResult('g:x', [msg(1), msg(2)], 5, first.id);
  assert.deepEqual(seqs(o.surfaced), [1, 2, 3]);
  assert.deepEqual(ranges(o.pulls), [{ convId: 'g:x', fromSeq: 4, toSeq: 4 }]);
  const o2 = t.handlePullResult('g:x', [msg(4), msg(5)], 5, o.pulls[0]!.id);
  assert.deepEqual(seqs(o2.surfaced), [4, 5]);
  assert.deepEqual(o2.pulls, []);
  assert.equal(t.heldCount('g:x'), 0);
});

test('tracker - maxSeq from sync pulls to it and pages while progress is made', () => {
  const t = new ConversationTracker();
  const p1 = t.handleMaxSeq('g:x', 4).pulls;
  assert.deepEqual(ranges(p1), [{ convId: 'g:x', fromSeq: 1, toSeq: 4 }]);
  assert.deepEqual(t.handleMaxSeq('g:x', 4).pulls, [], 'one pull in flight per conversation');
  const page = t.handlePullResult('g:x', [msg(1), msg(2)], 4, p1[0]!.id);
  assert.deepEqual(ranges(page.pulls), [{ convId: 'g:x', fromSeq: 3, toSeq: 4 }]);
  assert.deepEqual(seqs(t.handlePullResult('g:x', [msg(3), msg(4)], 4, page.pulls[0]!.id).surfaced), [3, 4]);
  assert.deepEqual(t.handleMaxSeq('g:x', 4).pulls, [], 'nothing missing');
});

test('tracker - a pull without progress stops pulling until new input', () => {
  const t = new ConversationTracker();
  const [p] = t.handleMaxSeq('g:x', 2).pulls;
  assert.deepEqual(t.handlePullResult('g:x', [], 2, p!.id).pulls, []);
  assert.equal(t.isPulling('g:x'), false);
  assert.deepEqual(ranges(t.handleMaxSeq('g:x', 2).pulls), [{ convId: 'g:x', fromSeq: 1, toSeq: 2 }]);
});

test('tracker - a duplicated or late pull answer delivers but does not end the pull in flight', () => {
  const t = new ConversationTracker();
  const [p1] = t.handleMaxSeq('g:x', 6).pulls;
  const first = t.handlePullResult('g:x', [msg(1), msg(2)], 6, p1!.id);
  const p2 = first.pulls[0]!;
  // The first answer arrives again (the frame was duplicated): nothing new, and p2 stays in flight.
  assert.deepEqual(t.handlePullResult('g:x', [msg(1), msg(2)], 6, p1!.id).pulls, []);
  assert.equal(t.isPulling('g:x'), true);
  const second = t.handlePullResult('g:x', [msg(3), msg(4)], 6, p2.id);
  assert.deepEqual(ranges(second.pulls), [{ convId: 'g:x', fromSeq: 5, toSeq: 6 }]);
});

test('tracker - a fresh connection resumes pulls whose answers were lost', () => {
  const t = new ConversationTracker();
  t.handleMaxSeq('g:x', 3);
  t.handleIncoming(msg(1, 'g:y'));
  t.resetPulls();
  assert.deepEqual(ranges(t.resumePulls()), [{ convId: 'g:x', fromSeq: 1, toSeq: 3 }]);
  assert.deepEqual(t.resumePulls(), [], 'already in flight');
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

test('tracker - a pull overtaken by other input goes on pulling the rest of the gap', () => {
  // seq 1 arrives by push while the pull of 1..3 is in flight; the pull's answer brings nothing new.
  const t2 = new ConversationTracker();
  const [pull] = t2.handleIncoming(msg(4)).pulls; // pulls 1..3
  t2.handleIncoming(msg(1));
  const o = t2.handlePullResult('g:x', [msg(1)], 4, pull!.id);
  assert.deepEqual(ranges(o.pulls), [{ convId: 'g:x', fromSeq: 2, toSeq: 3 }]);
});

test('tracker - a stale marker in an answer (its start already surfaced) asks again for what it covers past lastSeq', () => {
  const t = new ConversationTracker();
  t.load(new Map([['r:x', 363]]));
  // A re-join asked after seq 355; acks of the device's own sends moved it to 363 before the answer came:
  // the answer's window marker covers 356..380, then the window 381..383.
  const marker: Message = { ...msg(356, 'r:x'), coversTo: 380 };
  const o = t.handlePullResult('r:x', [marker, msg(381, 'r:x'), msg(382, 'r:x'), msg(383, 'r:x')], 383);
  assert.deepEqual(o.surfaced, [], 'nothing surfaces out of order');
  assert.deepEqual(ranges(o.pulls), [{ convId: 'r:x', fromSeq: 364, toSeq: 380 }]);
  // The fresh answer (a marker trimmed to what this device misses) fills the gap and drains the held window.
  const o2 = t.handlePullResult('r:x', [{ ...msg(364, 'r:x'), coversTo: 380 }], 383, o.pulls[0]!.id);
  assert.deepEqual(seqs(o2.surfaced), [364, 381, 382, 383]);
  assert.equal(t.lastSeq('r:x'), 383);
});
