import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame, encodeFrame } from './codec.ts';
import { encodePullResultFrame, type MessageFields, type PullResultFields } from './pull-encoder.ts';

const seqs = fc.oneof(fc.constant(0), fc.nat({ max: 300 }), fc.maxSafeNat());
const ids = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
const message: fc.Arbitrary<MessageFields> = fc.record(
  {
    convId: ids,
    seq: seqs,
    msgId: ids,
    senderId: ids,
    senderDevice: ids,
    clientMsgId: ids,
    type: ids,
    content: fc.uint8Array({ maxLength: 300 }),
    ts: fc.oneof(fc.constant(0), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 2 ** 42 })),
    flags: fc.oneof(fc.constant(0), fc.nat({ max: 0xffffffff })),
    coversTo: seqs,
  },
  { requiredKeys: ['convId', 'seq', 'msgId', 'senderId', 'senderDevice', 'clientMsgId', 'type', 'content', 'ts', 'flags'] },
);
const pull: fc.Arbitrary<PullResultFields> = fc.record({
  convId: ids,
  messages: fc.array(message, { maxLength: 6 }),
  hasMore: fc.boolean(),
  maxSeq: seqs,
});

/** The generated encoder's bytes for the same frame. */
function generated(rid: number, r: PullResultFields): Uint8Array {
  return encodeFrame({
    rid,
    body: {
      case: 'pullResult',
      value: {
        convId: r.convId,
        messages: r.messages.map(({ coversTo, ...m }) => ({
          ...m,
          seq: BigInt(m.seq),
          ts: BigInt(m.ts),
          ...(coversTo ? { coversTo: BigInt(coversTo) } : {}),
        })),
        hasMore: r.hasMore,
        maxSeq: BigInt(r.maxSeq),
      },
    },
  });
}

test('pull encoder property - byte-equal to the generated encoder for every pull result', () => {
  fc.assert(
    fc.property(fc.oneof(fc.constant(0), fc.nat({ max: 0xffffffff })), pull, (rid, r) => {
      assert.deepEqual(encodePullResultFrame(rid, r), generated(rid, r));
    }),
    { numRuns: 3000 },
  );
});

test('pull encoder - a typical 25-message answer decodes to what was encoded', () => {
  const messages = Array.from({ length: 25 }, (_, i): MessageFields => ({
    convId: 'p:u1:u2', seq: i + 1, msgId: `m${i}`, senderId: 'u2', senderDevice: 'd1', clientMsgId: `c${i}`, type: 'text',
    content: new Uint8Array(64).fill(i), ts: 1_764_000_000_000 + i, flags: 0,
  }));
  const bytes = encodePullResultFrame(9, { convId: 'p:u1:u2', messages, hasMore: true, maxSeq: 40 });
  assert.deepEqual(bytes, generated(9, { convId: 'p:u1:u2', messages, hasMore: true, maxSeq: 40 }));
  const r = decodeFrame(bytes);
  assert.ok(r.ok && r.frame.body.case === 'pullResult');
  assert.equal(r.frame.rid, 9);
  assert.equal(r.frame.body.value.messages.length, 25);
  assert.equal(r.frame.body.value.messages[24]!.seq, 25n);
  assert.deepEqual(r.frame.body.value.messages[3]!.content, new Uint8Array(64).fill(3));
});

test('pull encoder - refuses 64-bit fields that are not safe non-negative integers', () => {
  const base: PullResultFields = { convId: 'p:a:b', messages: [], hasMore: false, maxSeq: 0 };
  assert.throws(() => encodePullResultFrame(1, { ...base, maxSeq: -1 }), RangeError);
  assert.throws(() => encodePullResultFrame(1, { ...base, maxSeq: 2 ** 53 }), RangeError);
  const m: MessageFields = { convId: 'p:a:b', seq: 1.5, msgId: '', senderId: '', senderDevice: '', clientMsgId: '', type: '', content: new Uint8Array(), ts: 0, flags: 0 };
  assert.throws(() => encodePullResultFrame(1, { ...base, messages: [m] }), RangeError);
});
