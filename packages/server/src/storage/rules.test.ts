import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from './port.ts';
import { classifySend } from './rules.ts';

const original: StoredMessage = {
  appKey: 'a',
  convId: 'g:x',
  seq: 7,
  msgId: 'm7',
  senderId: 'u1',
  senderDevice: 'd1',
  clientMsgId: 'c1',
  senderSeq: 1,
  type: 'text',
  content: new Uint8Array([1]),
  ts: 1,
  flags: 0,
};

test('classifySend - the next senderSeq is stored', () => {
  assert.deepEqual(classifySend(1, { original: undefined, lastSenderSeq: 0 }), { status: 'store' });
  assert.deepEqual(classifySend(5, { original: undefined, lastSenderSeq: 4 }), { status: 'store' });
});

test('classifySend - a skipped senderSeq is a gap expecting last + 1', () => {
  assert.deepEqual(classifySend(2, { original: undefined, lastSenderSeq: 0 }), { status: 'gap', expectedSenderSeq: 1 });
  assert.deepEqual(classifySend(9, { original: undefined, lastSenderSeq: 4 }), { status: 'gap', expectedSenderSeq: 5 });
});

test('classifySend - a reused senderSeq with a new clientMsgId is a conflict expecting last + 1', () => {
  assert.deepEqual(classifySend(4, { original: undefined, lastSenderSeq: 4 }), {
    status: 'conflict',
    expectedSenderSeq: 5,
  });
  assert.deepEqual(classifySend(1, { original: undefined, lastSenderSeq: 4 }), {
    status: 'conflict',
    expectedSenderSeq: 5,
  });
});

test('classifySend - a known clientMsgId is a duplicate whatever its senderSeq', () => {
  for (const senderSeq of [1, 4, 5, 9]) {
    const decision = classifySend(senderSeq, { original, lastSenderSeq: 4 });
    assert.equal(decision.status, 'duplicate');
    assert.equal(decision.status === 'duplicate' && decision.message, original);
  }
});

test('classifySend - a senderSeq that is not a positive integer throws', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(() => classifySend(bad, { original: undefined, lastSenderSeq: 0 }), RangeError);
  }
});
