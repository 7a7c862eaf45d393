import type { SendOutcome, StoredMessage } from './port.ts';

/**
 * The send classification rule every storage adapter applies (design.md
 * section 3, port.ts `SendOutcome`). Kept pure so both adapters decide the
 * same way and the rule is tested once, without a database.
 */

/** What an adapter must look up before classifying one send. */
export interface SenderState {
  /** The message already stored under (app, conv, sender, clientMsgId), if any. */
  readonly original: StoredMessage | undefined;
  /** Last accepted senderSeq for (app, conv, sender, device); 0 when none. */
  readonly lastSenderSeq: number;
}

/**
 * The decision for one send: the port's outcomes, except that a send to store
 * is only `store` here, since the adapter assigns its seq and builds the row.
 */
export type SendDecision = { readonly status: 'store' } | Exclude<SendOutcome, { readonly status: 'stored' }>;

const STORE: SendDecision = Object.freeze({ status: 'store' });

/**
 * Classifies one send against the sender's state, in the port's rule order:
 * duplicate first, then `senderSeq == last + 1` store, `> last + 1` gap,
 * `<= last` conflict; gap and conflict both expect `last + 1`.
 *
 * @throws {RangeError} when `senderSeq` is not a positive safe integer: that
 * is a caller bug (the wire layer validates input), not an expected outcome.
 * @example
 * ```ts
 * classifySend(3, { original: undefined, lastSenderSeq: 1 });
 * // { status: 'gap', expectedSenderSeq: 2 }
 * ```
 */
export function classifySend(senderSeq: number, state: SenderState): SendDecision {
  if (!Number.isSafeInteger(senderSeq) || senderSeq < 1) {
    throw new RangeError(`senderSeq must be a positive safe integer, got ${String(senderSeq)}`);
  }
  if (state.original !== undefined) return { status: 'duplicate', message: state.original };
  const expectedSenderSeq = state.lastSenderSeq + 1;
  if (senderSeq === expectedSenderSeq) return STORE;
  if (senderSeq > expectedSenderSeq) return { status: 'gap', expectedSenderSeq };
  return { status: 'conflict', expectedSenderSeq };
}

/**
 * The senderSeq a send commits with: its own, or, for 0 ("the next one",
 * server API sends), last + 1, so such a send is never a gap or conflict.
 */
export function effectiveSenderSeq(senderSeq: number, lastSenderSeq: number): number {
  return senderSeq === 0 ? lastSenderSeq + 1 : senderSeq;
}
