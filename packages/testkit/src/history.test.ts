import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecorder, type Recorder } from './history.ts';
import { check } from './history-check.ts';

const members = (): string[] => ['alice', 'bob'];
const C = 'g:room';

interface World {
  alicePhone: Recorder;
  aliceLaptop: Recorder;
  bob: Recorder;
  all(): Recorder[];
}

function world(): World {
  const w = {
    alicePhone: createRecorder('alice', 'phone'),
    aliceLaptop: createRecorder('alice', 'laptop'),
    bob: createRecorder('bob', 'phone'),
    all: () => [w.alicePhone, w.aliceLaptop, w.bob],
  };
  return w;
}

/** alice/phone sends m1, m2 (acked seq 1, 2) and says hi. */
function sendTwo(w: World): void {
  w.alicePhone.sent(C, 'c1');
  w.alicePhone.acked(C, 'c1', { msgId: 'm1', seq: 1n });
  w.alicePhone.sent(C, 'c2');
  w.alicePhone.acked(C, 'c2', { msgId: 'm2', seq: 2 });
}

const m = (seq: number, msgId: string, clientMsgId: string, senderId = 'alice') => ({
  seq,
  msgId,
  clientMsgId,
  senderId,
});
const M1 = m(1, 'm1', 'c1');
const M2 = m(2, 'm2', 'c2');

function surfaceAll(r: Recorder, ...msgs: ReturnType<typeof m>[]): void {
  for (const x of msgs) r.surfaced(C, x);
}

function clean(): World {
  const w = world();
  sendTwo(w);
  for (const r of w.all()) surfaceAll(r, M1, M2);
  return w;
}

test('history check - a clean history passes', () => {
  const report = check(clean().all(), { members });
  assert.ok(report.ok, report.format());
  assert.deepEqual(Object.values(report.counts), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(report.totals, { devices: 3, sent: 2, acked: 2, surfaced: 6 });
  assert.match(report.format(), /history check: OK/);
});

test('history check - lost: acked message missing on a recipient device', () => {
  const w = world();
  sendTwo(w);
  surfaceAll(w.alicePhone, M1, M2);
  surfaceAll(w.aliceLaptop, M1, M2);
  surfaceAll(w.bob, M1);
  const report = check(w.all(), { members });
  assert.equal(report.ok, false);
  assert.equal(report.counts.lost, 1);
  assert.equal(report.examples.lost[0]!.device, 'bob/phone');
  assert.equal(report.examples.lost[0]!.msgId, 'm2');
});

test("history check - lost: the sender's own other device counts too", () => {
  const w = world();
  sendTwo(w);
  surfaceAll(w.alicePhone, M1, M2);
  surfaceAll(w.aliceLaptop, M1);
  surfaceAll(w.bob, M1, M2);
  const report = check(w.all(), { members: () => ['bob'] });
  assert.equal(report.counts.lost, 1);
  assert.equal(report.examples.lost[0]!.device, 'alice/laptop');
});

test('history check - lost: a message never acked may be missing', () => {
  const w = world();
  sendTwo(w);
  w.alicePhone.sent(C, 'c3');
  for (const r of w.all()) surfaceAll(r, M1, M2);
  const report = check(w.all(), { members });
  assert.equal(report.counts.lost, 0, report.format());
  assert.ok(report.ok);
});

test('history check - duplicate: same message surfaced twice on one device', () => {
  const w = clean();
  w.bob.surfaced(C, M2);
  const report = check(w.all(), { members });
  assert.equal(report.counts.duplicate, 1, report.format());
  assert.equal(report.examples.duplicate[0]!.device, 'bob/phone');
});

test('history check - duplicate: same seq surfaced twice with different messages', () => {
  const w = clean();
  w.bob.surfaced(C, m(2, 'mX', 'cX', 'bob'));
  const report = check(w.all(), { members });
  assert.ok(report.counts.duplicate >= 1, report.format());
});

test('history check - duplicate: a retried send stored as a second message', () => {
  const w = world();
  sendTwo(w);
  const retry = m(3, 'm2b', 'c2');
  w.alicePhone.acked(C, 'c2', { msgId: 'm2b', seq: 3 });
  for (const r of w.all()) surfaceAll(r, M1, M2, retry);
  const report = check(w.all(), { members });
  // Once per device for the stored copy, once for the conflicting ack.
  assert.equal(report.counts.duplicate, 4, report.format());
});

test('history check - duplicate: the same message on two devices is not a duplicate', () => {
  const report = check(clean().all(), { members });
  assert.equal(report.counts.duplicate, 0);
});

test('history check - divergent: devices disagree on the message at a seq', () => {
  const w = world();
  w.alicePhone.surfaced(C, m(1, 'x1', 'a', 'carol'));
  w.alicePhone.surfaced(C, m(2, 'x2', 'b', 'carol'));
  w.bob.surfaced(C, m(1, 'x2', 'b', 'carol'));
  w.bob.surfaced(C, m(2, 'x1', 'a', 'carol'));
  const report = check([w.alicePhone, w.bob], { members });
  assert.equal(report.counts.divergent, 2, report.format());
  assert.equal(report.counts.lost, 0);
});

test("history check - divergent: a device disagrees with the sender's ack", () => {
  const w = world();
  sendTwo(w);
  surfaceAll(w.alicePhone, M1, M2);
  surfaceAll(w.aliceLaptop, M1, M2);
  surfaceAll(w.bob, m(1, 'm2', 'c2'), m(2, 'm1', 'c1'));
  const report = check(w.all(), { members });
  assert.ok(report.counts.divergent >= 2, report.format());
});

test('history check - divergent: agreeing devices pass', () => {
  assert.equal(check(clean().all(), { members }).counts.divergent, 0);
});

test('history check - sender-order: a send acked before the next was sent got a higher seq', () => {
  const w = world();
  w.alicePhone.sent(C, 'c1');
  w.alicePhone.acked(C, 'c1', { msgId: 'm1', seq: 2 });
  w.alicePhone.sent(C, 'c2');
  w.alicePhone.acked(C, 'c2', { msgId: 'm2', seq: 1 });
  const report = check([w.alicePhone], { members: () => [], maxExamples: 5 });
  assert.equal(report.counts['sender-order'], 1);
  assert.match(report.examples['sender-order'][0]!.detail, /acked before c2 was sent/);
});

test('history check - sender-order: pipelined sends must keep send order too', () => {
  const w = world();
  w.alicePhone.sent(C, 'c1');
  w.alicePhone.sent(C, 'c2');
  w.alicePhone.acked(C, 'c2', { msgId: 'm2', seq: 1 });
  w.alicePhone.acked(C, 'c1', { msgId: 'm1', seq: 2 });
  const report = check([w.alicePhone], { members: () => [] });
  assert.equal(report.counts['sender-order'], 1);
  assert.match(report.examples['sender-order'][0]!.detail, /pipelined/);
});

test('history check - sender-order: acks arriving out of order with seqs in send order pass', () => {
  const w = world();
  w.alicePhone.sent(C, 'c1');
  w.alicePhone.sent(C, 'c2');
  w.alicePhone.sent('g:other', 'o1');
  w.alicePhone.acked(C, 'c2', { msgId: 'm2', seq: 5 });
  w.alicePhone.acked('g:other', 'o1', { msgId: 'o1', seq: 1 });
  w.alicePhone.acked(C, 'c1', { msgId: 'm1', seq: 4 });
  const report = check([w.alicePhone], { members: () => [] });
  assert.equal(report.counts['sender-order'], 0, report.format());
});

test('history check - skip: seq n+2 surfaced before n+1', () => {
  const w = world();
  surfaceAll(w.bob, m(1, 'x1', 'a'), m(3, 'x3', 'c'), m(2, 'x2', 'b'));
  const report = check([w.bob], { members: () => [] });
  assert.equal(report.counts.skip, 2, report.format());
  assert.equal(report.examples.skip[0]!.seq, 3);
});

test('history check - skip: a gap never filled is a skip', () => {
  const w = world();
  surfaceAll(w.bob, m(1, 'x1', 'a'), m(3, 'x3', 'c'));
  assert.equal(check([w.bob], { members: () => [] }).counts.skip, 1);
});

test('history check - skip: a device may start past seq 1 and count up from there', () => {
  const w = world();
  surfaceAll(w.bob, m(5, 'x5', 'e'), m(6, 'x6', 'f'), m(7, 'x7', 'g'));
  const report = check([w.bob], { members: () => [] });
  assert.ok(report.ok, report.format());
});

test('history check - multi-device: two devices of a user end with different lists', () => {
  const w = world();
  surfaceAll(w.alicePhone, m(1, 'x1', 'a', 'carol'), m(2, 'x2', 'b', 'carol'));
  surfaceAll(w.aliceLaptop, m(1, 'x1', 'a', 'carol'));
  const report = check([w.alicePhone, w.aliceLaptop], { members });
  assert.equal(report.counts['multi-device'], 1, report.format());
  assert.equal(report.counts.lost, 0);
  assert.match(report.examples['multi-device'][0]!.detail, /position 1: x2 vs \(end\)/);
});

test('history check - multi-device: devices of different users may differ', () => {
  const w = world();
  surfaceAll(w.alicePhone, m(1, 'x1', 'a', 'carol'), m(2, 'x2', 'b', 'carol'));
  surfaceAll(w.bob, m(1, 'x1', 'a', 'carol'));
  const report = check([w.alicePhone, w.bob], { members });
  assert.equal(report.counts['multi-device'], 0, report.format());
});

test('history check - examples are capped, counts are not, and format lists them', () => {
  const w = world();
  for (let i = 1; i <= 10; i++) w.bob.surfaced(C, m(1, 'dup', 'a'));
  const report = check([w.bob], { members: () => [], maxExamples: 3 });
  assert.equal(report.counts.duplicate, 9);
  assert.equal(report.examples.duplicate.length, 3);
  const text = report.format();
  assert.match(text, /FAILED/);
  assert.match(text, /duplicate: 9 \(showing 3\)/);
  assert.match(text, /device=bob\/phone/);
});
