import { encodeFrame, type ErrorCode, type PullRequest, type SendRequest, type SyncRequest } from '@tidings/protocol';
import type { Logger } from '../log/logger.ts';
import type { Bus } from '../bus/port.ts';
import type { Store } from '../storage/port.ts';
import type { CommitQueue } from './commit-queue.ts';
import { resolveMembership } from './conversations.ts';
import { errorFrame } from './replies.ts';
import type { Peer } from './session.ts';
import { ackFrame, toWireMessage } from './wire.ts';
import { createSendPath } from './send-path.ts';

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

/**
 * The messaging service: send (through group commit), sync, pull and
 * delivery acks. Every answer is written to the asking peer; pushes go out
 * over the bus, encoded once per message.
 */
export function createMessaging(o: MessagingOptions) {
  const paths = createSendPath({
    bus: o.bus,
    commits: o.commits,
    log: o.log,
    maxContentBytes: o.limits.maxContentBytes,
    newMsgId: o.newMsgId,
    now: o.now,
    ...(o.onStored ? { onStored: o.onStored } : {}),
  });

  function send(peer: Peer, rid: number, req: SendRequest): void {
    const s = peer.session;
    const fail = (code: ErrorCode, message?: string, expectedSenderSeq?: number): void =>
      peer.write(
        errorFrame(rid, code, {
          convId: req.convId,
          clientMsgId: req.clientMsgId,
          ...(message ? { message } : {}),
          ...(expectedSenderSeq !== undefined ? { expectedSenderSeq } : {}),
        }),
      );
    const m = resolveMembership(req.convId, s.userId);
    if (!m.ok) return fail(m.code);
    // System conversations are written by the server API only.
    if (m.kind === 'system') return fail('auth.forbidden');
    if (req.senderSeq < 1n || req.senderSeq > BigInt(Number.MAX_SAFE_INTEGER)) return fail('protocol.invalid_request', 'senderSeq must be >= 1');
    paths.send(
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
        skipConnection: s.connectionId,
      },
      (r) => {
        if (r.ok) return peer.write(ackFrame(rid, r.message, r.duplicate));
        // Gap and conflict answers carry no convId/clientMsgId, as before the shared path.
        if (r.expectedSenderSeq !== undefined) return peer.write(errorFrame(rid, r.code, { expectedSenderSeq: r.expectedSenderSeq }));
        fail(r.code, r.message);
      },
    );
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
    /** The send path shared with the server API. */
    paths,
    /** Refuses new sends from now on; queued ones still commit and get acked. */
    drain: paths.drain,
  };
}

/** The messaging service. */
export type Messaging = ReturnType<typeof createMessaging>;

