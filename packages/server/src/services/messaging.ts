import { encodeFrame, encodePullResultFrame, type ConvRequest, type ErrorCode, type PullRequest, type SendRequest, type SyncRequest } from '@tidings/protocol';
import type { Logger } from '../log/logger.ts';
import type { Bus } from '../bus/port.ts';
import { RANGE_ROW_OVERHEAD, type Store } from '../storage/port.ts';
import type { CommitQueue } from './commit-queue.ts';
import { resolveMembership } from './conversations.ts';
import { errorFrame } from './replies.ts';
import type { Peer } from './session.ts';
import { ackFrame } from './wire.ts';
import { createSendPath } from './send-path.ts';
import type { SendGate } from './webhooks/send-gate.ts';
import { readAccess } from './access.ts';
import { markerMessage } from './markers.ts';
import type { Groups } from './groups.ts';

/** What messaging hands to the chatroom service (conversations `r:<id>`). */
export interface RoomHandler {
  send(peer: Peer, rid: number, req: SendRequest): void;
  pull(peer: Peer, rid: number, req: PullRequest): void;
  request(peer: Peer, rid: number, req: ConvRequest): void;
  /** The connection closed: it leaves every room it joined. */
  closed(peer: Peer): void;
}

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
  /** Webhook flag and pre-send hook of the send path. */
  readonly gate?: SendGate;
  /** Called after a stored message queued a callback. */
  readonly onWebhookQueued?: () => void;
  /** Deleted users (services/user-state.ts): nothing is sent to or from them. */
  readonly isDeleted?: (appKey: string, userId: string) => boolean;
  /** Chatroom sends and pulls go here; bound after construction. */
  rooms?: RoomHandler;
  /** Group operations; bound after construction. */
  groups?: Groups;
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
    ...(o.gate ? { gate: o.gate } : {}),
    ...(o.onWebhookQueued ? { onWebhookQueued: o.onWebhookQueued } : {}),
    ...(o.isDeleted ? { isDeleted: o.isDeleted } : {}),
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
    if (req.convId.startsWith('r:') && o.rooms) return o.rooms.send(peer, rid, req);
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
        // Group membership, mutes and dismissal are checked inside the commit.
        ...(m.kind === 'group' ? { group: { check: 'member' as const } } : {}),
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
    if (req.convId.startsWith('r:') && o.rooms) return o.rooms.pull(peer, rid, req);
    const access = await readAccess(o.store, s.appKey, req.convId, s.userId);
    if (!access.ok) return peer.write(errorFrame(rid, access.code, { convId: req.convId }));
    const limit = Math.min(Math.max(req.limit || o.limits.maxPullMessages, 1), o.limits.maxPullMessages);
    const asked = Math.max(1, Number(req.fromSeq));
    // History before a member joined is not theirs: one marker stands for it, so the device's stream stays gapless.
    const hidden = asked < access.fromSeq ? markerMessage(req.convId, asked, access.fromSeq - 1, 'history', 0) : undefined;
    const from = Math.max(asked, access.fromSeq);
    const to = Math.min(req.toSeq === 0n ? Number.MAX_SAFE_INTEGER : Number(req.toSeq), access.toSeq);
    const [found, newest] = await Promise.all([
      // The byte budget: a page of big messages reads (and opens) only what the answer can carry.
      to < from ? Promise.resolve([]) : o.store.readRange(s.appKey, req.convId, from, to, limit, o.limits.maxPullBytes),
      o.store.maxSeq(s.appKey, req.convId),
    ]);
    const maxSeq = Math.min(newest, access.toSeq);
    const rows = hidden && hidden.seq <= maxSeq ? [hidden, ...found] : found;
    // Keep the answer under the frame limit; the client pages on with hasMore.
    let bytes = 0;
    let n = 0;
    while (n < rows.length) {
      bytes += rows[n]!.content.byteLength + RANGE_ROW_OVERHEAD;
      if (n > 0 && bytes > o.limits.maxPullBytes) break;
      n++;
    }
    const lastSeq = n > 0 ? rows[n - 1]!.seq : from - 1;
    // The hand-specialised encoder: byte-equal to encodeFrame's, several times cheaper on the sync path's hottest frame.
    peer.write(
      encodePullResultFrame(rid, {
        convId: req.convId,
        messages: n === rows.length ? rows : rows.slice(0, n),
        hasMore: lastSeq < Math.min(to, maxSeq),
        maxSeq,
      }),
    );
  }

  async function delivered(peer: Peer, convId: string, seq: bigint): Promise<void> {
    const s = peer.session;
    if (seq < 1n || !(await readAccess(o.store, s.appKey, convId, s.userId)).ok) return;
    await o.store.setDelivered(s.appKey, s.userId, s.deviceId, convId, Number(seq));
  }

  /** A group or chatroom operation (conv frame). */
  async function conv(peer: Peer, rid: number, req: ConvRequest): Promise<void> {
    if (req.convId.startsWith('r:') && o.rooms) return o.rooms.request(peer, rid, req);
    if (!req.convId.startsWith('g:') || !o.groups) return peer.write(errorFrame(rid, 'conv.invalid_id', { convId: req.convId }));
    let args: Record<string, unknown> = {};
    try {
      if (req.args) args = JSON.parse(req.args) as Record<string, unknown>;
    } catch {
      return peer.write(errorFrame(rid, 'protocol.invalid_request', { convId: req.convId, message: 'args must be a JSON object' }));
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return peer.write(errorFrame(rid, 'protocol.invalid_request', { message: 'args must be a JSON object' }));
    const s = peer.session;
    const r = await o.groups.run(s.appKey, { userId: s.userId, api: false }, req.convId.slice(2), req.op, args);
    if (!r.ok) return peer.write(errorFrame(rid, r.code, { convId: req.convId, ...(r.message ? { message: r.message } : {}) }));
    peer.write(encodeFrame({ rid, body: { case: 'convResult', value: { convId: req.convId, result: JSON.stringify(r.value) } } }));
  }

  return {
    /** Binds the group and chatroom services (they need the send path made here). */
    bind(h: { groups?: Groups; rooms?: RoomHandler }): void {
      if (h.groups) o.groups = h.groups;
      if (h.rooms) o.rooms = h.rooms;
    },
    send,
    conv,
    /** The connection closed (chatrooms forget it). */
    closed: (peer: Peer): void => o.rooms?.closed(peer),
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

