import { encodeFrame, MAX_ID_LENGTH, type ErrorCode, type PullRequest, type SendRequest, type SyncRequest } from '@tidings/protocol';
import type { Logger } from '../log/logger.ts';
import type { Bus } from '../bus/port.ts';
import { userTopic } from '../bus/topics.ts';
import type { SendOutcome, Store } from '../storage/port.ts';
import type { CommitQueue } from './commit-queue.ts';
import { resolveMembership } from './conversations.ts';
import { errorFrame } from './replies.ts';
import type { Peer } from './session.ts';
import { ackFrame, pushFrame, toWireMessage } from './wire.ts';

/** Limits the messaging service enforces. */
export interface MessagingLimits {
  readonly maxContentBytes: number;
  /** Budget for one pull answer, below the frame limit. */
  readonly maxPullBytes: number;
  readonly maxPullMessages: number;
  readonly maxSyncEntries: number;
}

/** Options of {@link createMessaging}. */
export interface MessagingOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly commits: CommitQueue;
  readonly limits: MessagingLimits;
  readonly log: Logger;
  readonly newMsgId: () => string;
  readonly now: () => number;
  /** Called per stored message (metrics). */
  readonly onStored?: () => void;
}

const MAX_TYPE_LENGTH = 64;

/**
 * The messaging service: send (through group commit), sync, pull and
 * delivery acks. Every answer is written to the asking peer; pushes go out
 * over the bus, encoded once per message.
 */
export function createMessaging(o: MessagingOptions) {
  let draining = false;

  function send(peer: Peer, rid: number, req: SendRequest): void {
    const s = peer.session;
    const fail = (code: ErrorCode, message?: string): void =>
      peer.write(errorFrame(rid, code, { convId: req.convId, clientMsgId: req.clientMsgId, ...(message ? { message } : {}) }));
    if (draining) return fail('server.shutting_down');
    const m = resolveMembership(req.convId, s.userId);
    if (!m.ok) return fail(m.code);
    if (!req.clientMsgId || req.clientMsgId.length > MAX_ID_LENGTH) return fail('protocol.invalid_request', 'clientMsgId must be 1-128 characters');
    if (!req.type || req.type.length > MAX_TYPE_LENGTH) return fail('protocol.invalid_request', 'type must be 1-64 characters');
    if (req.senderSeq < 1n || req.senderSeq > BigInt(Number.MAX_SAFE_INTEGER)) return fail('protocol.invalid_request', 'senderSeq must be >= 1');
    if (req.content.byteLength > o.limits.maxContentBytes) return fail('send.content_too_large');
    const accepted = o.commits.submit(
      {
        appKey: s.appKey,
        convId: req.convId,
        kind: m.kind,
        members: m.members,
        senderId: s.userId,
        senderDevice: s.deviceId,
        clientMsgId: req.clientMsgId,
        senderSeq: Number(req.senderSeq),
        type: req.type,
        content: req.content,
        flags: req.flags,
        msgId: o.newMsgId(),
        ts: o.now(),
      },
      (outcome, err) => {
        if (!outcome) {
          o.log.error({ err, convId: req.convId }, 'commit failed');
          return fail('storage.unavailable');
        }
        answer(peer, rid, outcome, m.members);
      },
    );
    if (!accepted) fail('server.overloaded');
  }

  function answer(peer: Peer, rid: number, outcome: SendOutcome, members: readonly string[]): void {
    switch (outcome.status) {
      case 'stored': {
        peer.write(ackFrame(rid, outcome.message, false));
        o.onStored?.();
        const push = pushFrame(outcome.message);
        const skip = peer.session.connectionId;
        for (const user of members) o.bus.publish({ topic: userTopic(peer.session.appKey, user), payload: push, skipConnection: skip });
        return;
      }
      case 'duplicate':
        return peer.write(ackFrame(rid, outcome.message, true));
      case 'gap':
      case 'conflict':
        return peer.write(
          errorFrame(rid, outcome.status === 'gap' ? 'send.sender_seq_gap' : 'send.sender_seq_conflict', {
            expectedSenderSeq: outcome.expectedSenderSeq,
          }),
        );
    }
  }

  async function sync(peer: Peer, rid: number, req: SyncRequest): Promise<void> {
    const s = peer.session;
    const limit = Math.min(Math.max(req.limit || o.limits.maxSyncEntries, 1), o.limits.maxSyncEntries);
    const changes = await o.store.changesSince(s.appKey, s.userId, Number(req.cursor), limit);
    const last = changes.at(-1);
    peer.write(
      encodeFrame({
        rid,
        body: {
          case: 'syncResult',
          value: {
            conversations: changes.map((c) => ({ convId: c.convId, maxSeq: BigInt(c.maxSeq), version: BigInt(c.version) })),
            cursor: last ? BigInt(last.version) : req.cursor,
            hasMore: changes.length === limit,
          },
        },
      }),
    );
  }

  async function pull(peer: Peer, rid: number, req: PullRequest): Promise<void> {
    const s = peer.session;
    const m = resolveMembership(req.convId, s.userId);
    if (!m.ok) return peer.write(errorFrame(rid, m.code === 'send.not_member' ? 'auth.forbidden' : m.code, { convId: req.convId }));
    const limit = Math.min(Math.max(req.limit || o.limits.maxPullMessages, 1), o.limits.maxPullMessages);
    const from = Math.max(1, Number(req.fromSeq));
    const to = req.toSeq === 0n ? Number.MAX_SAFE_INTEGER : Number(req.toSeq);
    const [rows, maxSeq] = await Promise.all([
      to < from ? Promise.resolve([]) : o.store.readRange(s.appKey, req.convId, from, to, limit),
      o.store.maxSeq(s.appKey, req.convId),
    ]);
    // Keep the answer under the frame limit; the client pages on with hasMore.
    let bytes = 0;
    let n = 0;
    while (n < rows.length) {
      bytes += rows[n]!.content.byteLength + 128;
      if (n > 0 && bytes > o.limits.maxPullBytes) break;
      n++;
    }
    const lastSeq = n > 0 ? rows[n - 1]!.seq : from - 1;
    peer.write(
      encodeFrame({
        rid,
        body: {
          case: 'pullResult',
          value: {
            convId: req.convId,
            messages: rows.slice(0, n).map(toWireMessage),
            hasMore: lastSeq < Math.min(to, maxSeq),
            maxSeq: BigInt(maxSeq),
          },
        },
      }),
    );
  }

  async function delivered(peer: Peer, convId: string, seq: bigint): Promise<void> {
    const s = peer.session;
    if (seq < 1n || !resolveMembership(convId, s.userId).ok) return;
    await o.store.setDelivered(s.appKey, s.userId, s.deviceId, convId, Number(seq));
  }

  return {
    send,
    sync,
    pull,
    delivered,
    /** Refuses new sends from now on; queued ones still commit and get acked. */
    async drain(): Promise<void> {
      draining = true;
      await o.commits.drain();
    },
  };
}

/** The messaging service. */
export type Messaging = ReturnType<typeof createMessaging>;

