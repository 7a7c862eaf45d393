import fc from 'fast-check';
import type { FrameInit } from './codec.ts';

/**
 * fast-check generators of valid frames, for property tests and the fuzzer.
 * Kept in the protocol package so every decoder is tested with the same shapes.
 */
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const id = fc.string({ minLength: 0, maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 256 });

const message = fc.record({
  convId: id,
  seq: u64,
  msgId: id,
  senderId: id,
  senderDevice: id,
  clientMsgId: id,
  type: id,
  content: bytes,
  ts: i64,
  flags: fc.nat({ max: 0xffffffff }),
});

const bodies = fc.oneof(
  fc.record({ case: fc.constant('send' as const), value: fc.record({ convId: id, clientMsgId: id, senderSeq: u64, type: id, content: bytes, flags: fc.nat() }) }),
  fc.record({
    case: fc.constant('sendAck' as const),
    value: fc.record({ convId: id, clientMsgId: id, senderSeq: u64, msgId: id, seq: u64, ts: i64, duplicate: fc.boolean() }),
  }),
  fc.record({ case: fc.constant('push' as const), value: fc.record({ message }) }),
  fc.record({ case: fc.constant('sync' as const), value: fc.record({ cursor: u64, limit: fc.nat() }) }),
  fc.record({
    case: fc.constant('syncResult' as const),
    value: fc.record({
      conversations: fc.array(fc.record({ convId: id, maxSeq: u64, version: u64 }), { maxLength: 5 }),
      cursor: u64,
      hasMore: fc.boolean(),
    }),
  }),
  fc.record({ case: fc.constant('pull' as const), value: fc.record({ convId: id, fromSeq: u64, toSeq: u64, limit: fc.nat() }) }),
  fc.record({
    case: fc.constant('pullResult' as const),
    value: fc.record({ convId: id, messages: fc.array(message, { maxLength: 3 }), hasMore: fc.boolean(), maxSeq: u64 }),
  }),
  fc.record({ case: fc.constant('deliveryAck' as const), value: fc.record({ convId: id, seq: u64 }) }),
  fc.record({ case: fc.constant('ping' as const), value: fc.record({ clientTime: i64 }) }),
  fc.record({ case: fc.constant('pong' as const), value: fc.record({ clientTime: i64, serverTime: i64 }) }),
  fc.record({
    case: fc.constant('error' as const),
    value: fc.record({ code: id, message: id, expectedSenderSeq: u64, retryable: fc.boolean(), convId: id, clientMsgId: id }),
  }),
  fc.record({ case: fc.constant('hello' as const), value: fc.record({ sdk: id, sdkVersion: id }) }),
);

/** A valid frame of the current version. */
export const arbitraryFrame: fc.Arbitrary<FrameInit> = fc.record({ rid: fc.nat({ max: 0xffffffff }), body: bodies }) as fc.Arbitrary<FrameInit>;

/** Ways to damage a valid encoding. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array };

/** Generates a list of mutations to apply in order. */
export const arbitraryMutations: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    // Long varints, lying lengths, unknown field numbers and wire types.
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 12 }),
        fc.constant(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
        fc.constant(new Uint8Array([0x5a, 0xff, 0xff, 0xff, 0xff, 0x0f])),
        fc.constant(new Uint8Array([0xfa, 0xff, 0xff, 0xff, 0x7f])),
      ),
    }),
    fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** Applies mutations to a copy of `input`. */
export function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'flip' && b.length > 0) b[at % b.length]! ^= 1 << m.bit;
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    else if (m.kind === 'overwrite') for (let i = 0; i < m.bytes.length && at + i < b.length; i++) b[at + i] = m.bytes[i]!;
  }
  return b;
}
