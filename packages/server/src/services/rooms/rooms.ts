import { encodeFrame, isValidId, type ConvRequest, type ErrorCode, type PullRequest, type SendRequest } from '@tidings/protocol';
import type { Logger } from '../../log/logger.ts';
import { BusRequestError, type Bus } from '../../bus/port.ts';
import type { RoomStore } from '../../storage/room-port.ts';
import { decodeJson, encodeJson } from '../bus-json.ts';
import { errorFrame } from '../replies.ts';
import type { Peer } from '../session.ts';
import { pushFrame, toWireMessage } from '../wire.ts';
import { sendFieldsError } from '../send-path.ts';
import { createLocalViews } from './local-view.ts';
import { createOwnerOps, fail, type RoomOpResult, type SendResult } from './owner.ts';
import { createPlacement, type Owned } from './placement.ts';
import { PRIORITY, Room, type RoomEntry, type RoomMember, type RoomPolicy } from './room.ts';
import { encodeEntry, ENTRY_KIND, ownerTopic, roomTopic, type EntryKind, type OwnerRequest, type SendBody } from './room-wire.ts';

/** Options of {@link createRooms}. */
export interface RoomsOptions {
  readonly log: Logger;
  readonly now: () => number;
  readonly newMsgId: () => string;
  readonly maxContentBytes: number;
  /** Node-wide default policy; apps may override theirs with {@link Rooms.setPolicy}. */
  readonly policy: RoomPolicy;
  /** How long a run of shed seqs may wait for its marker, ms. */
  readonly markerDelayMs?: number;
  /** Entries and requests between nodes. */
  readonly bus: Bus;
  /** Room rows and owner leases. */
  readonly store: RoomStore;
  /** This node run's id: the owner name in leases. */
  readonly self: string;
  /** Owner lease length, ms (default 3000): a dead owner's rooms move after about this long. */
  readonly leaseTtlMs?: number;
  /** Seqs an owner reserves ahead (default 100,000). */
  readonly seqBlock?: number;
  /** Wait for a remote owner's answer, ms (default 1000). */
  readonly requestTimeoutMs?: number;
  /** Node runs alive now (cluster presence), so an owner forgets the members of a node that died. */
  readonly liveNodes?: () => readonly string[];
}

/** Who asks: a connection (SDK) or the app's backend (API, all rights). */
export type RoomActor = { readonly peer: Peer } | { readonly api: true; readonly userId: string };

export type { RoomOpResult } from './owner.ts';
export { ROOM_TYPE_PREFIX } from './owner.ts';

/** Forwarded sends of one connection per request, at most. */
const SEND_BATCH = 256;

type Answer<T> = { readonly r: T } | { readonly notOwner: true } | { readonly notFound: true };
const NOT_FOUND = Symbol('not found');
const UNAVAILABLE = Symbol('unavailable');

/**
 * Chatrooms: join on enter, no offline storage. Each room has one owner node,
 * its sequencer ({@link createPlacement}: a fenced lease in storage), which
 * holds the {@link Room}: seq, recent window, dedupe, members, bans, mutes,
 * attributes. Any node serves any member: sends, joins, pulls and management
 * go to the owner (directly when it is this node, else over bus
 * request/reply); the owner publishes each entry once on the room topic, and
 * every node with members (this one included) writes the same encoded bytes
 * to its member connections ({@link createLocalViews}). A reconnecting client
 * re-joins with its last seq and gets what it missed from the window, or a
 * marker for what fell out of it, or for what an owner that died handed out.
 */
export function createRooms(o: RoomsOptions) {
  const policies = new Map<string, RoomPolicy>();
  const markerDelay = o.markerDelayMs ?? 50;
  const ttl = o.leaseTtlMs ?? 3000;
  const timeout = o.requestTimeoutMs ?? 1000;
  const policyOf = (appKey: string): RoomPolicy => policies.get(appKey) ?? o.policy;
  const flushTimers = new Map<Room, NodeJS.Timeout>();
  /** The tail of each connection's forwarded sends. */
  const sending = new Map<string, { items: Queued[]; busy: boolean }>();

  function publish(x: Owned<Room>, e: RoomEntry | undefined, skip?: string, kind: EntryKind = ENTRY_KIND.entry, user = e?.senderId ?? ''): void {
    if (!e) return;
    // Markers and notifications carry no dedupe key: only members' messages can be resent.
    const clientMsgId = e.coversTo !== undefined || e.senderDevice === '~room' ? '' : e.clientMsgId;
    const payload = encodeEntry({ kind, epoch: x.epoch, seq: e.seq, ts: e.ts, user, clientMsgId, msgId: e.msgId }, pushFrame(e));
    o.bus.publish(skip === undefined ? { topic: roomTopic(x.room.appKey, x.room.roomId), payload } : { topic: roomTopic(x.room.appKey, x.room.roomId), payload, skipConnection: skip });
  }

  function stopTimer(room: Room): void {
    const t = flushTimers.get(room);
    if (t) clearTimeout(t);
    flushTimers.delete(room);
  }

  const placement = createPlacement<Room>({
    store: o.store,
    self: o.self,
    ttlMs: ttl,
    block: o.seqBlock ?? 100_000,
    now: o.now,
    log: o.log,
    build: (row, lease) => {
      const room = new Room(row.appKey, row.roomId, { ...o.policy, ...(row.state.policy as Partial<RoomPolicy>) }, row.state.admins, o.now(), lease.seqBase, row.createdAt);
      for (const u of row.state.banned) room.banned.add(u);
      for (const [u, until] of Object.entries(row.state.muted)) room.muted.set(u, until);
      for (const [k, v] of Object.entries(row.state.attrs)) room.attrs.set(k, v);
      // A resend of a message the old owner published is answered with its ack, if this node fanned it out.
      for (const ack of views.acksOf(row.appKey, row.roomId)) room.seedAck(ack);
      return room;
    },
    assigned: (room) => room.assigned,
    // Members elsewhere learn of the takeover (and of the seqs nobody can vouch for) from its marker.
    onAcquired: (x) => publish(x, x.room.recent(1)[0]),
    onLost: (_a, _r, x) => stopTimer(x.room),
  });

  const ops = createOwnerOps({
    store: o.store,
    now: o.now,
    newMsgId: o.newMsgId,
    publish,
    scheduleMarker(x) {
      if (flushTimers.has(x.room)) return;
      const t = setTimeout(() => {
        flushTimers.delete(x.room);
        if (placement.ownedRoom(x.room.appKey, x.room.roomId) === x && placement.usable(x, x.room.assigned)) publish(x, x.room.flushShed(o.now()));
      }, markerDelay);
      t.unref();
      flushTimers.set(x.room, t);
    },
    destroyed(x) {
      stopTimer(x.room);
      placement.release(x.room.appKey, x.room.roomId);
    },
  });

  const views = createLocalViews({
    bus: o.bus,
    onNewOwner: (appKey, roomId, peers) => {
      const members = peers.map(memberOf);
      void toOwner(appKey, roomId, { appKey, roomId, op: 'members', members }, (x) => ops.members(x, members)).catch(() => undefined);
    },
  });

  const memberOf = (p: Peer): RoomMember => ({ connectionId: p.session.connectionId, userId: p.session.userId, node: o.self });

  /** Runs `local` on the owner: here, or on the owner node through `req`. Retries through an owner change. */
  async function toOwner<T>(appKey: string, roomId: string, req: OwnerRequest, local: (x: Owned<Room>) => T | Promise<T>): Promise<T | typeof NOT_FOUND | typeof UNAVAILABLE> {
    // Long enough for a dead owner's lease to lapse and another node to take the room.
    const deadline = o.now() + 2 * ttl + 2 * timeout;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        if (o.now() > deadline) return UNAVAILABLE;
        await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 250)));
      }
      let p;
      try {
        p = await placement.resolve(appKey, roomId);
      } catch (err) {
        o.log.warn({ err: String(err) }, 'room placement failed');
        continue;
      }
      if (p.kind === 'none') return NOT_FOUND;
      if (p.kind === 'self') {
        if (placement.usable(p.owned, p.owned.room.assigned + 1)) return local(p.owned);
        await placement.renewNow();
        continue;
      }
      try {
        const a = decodeJson<Answer<T>>(await o.bus.request(ownerTopic(p.node), encodeJson(req), timeout));
        if ('r' in a) return a.r;
        if ('notFound' in a) return NOT_FOUND;
      } catch (err) {
        if (!(err instanceof BusRequestError)) throw err;
      }
      placement.forget(appKey, roomId);
    }
  }

  /** Requests from other nodes for the rooms this node owns. */
  const offResponder = o.bus.respond(ownerTopic(o.self), async (payload): Promise<Uint8Array> => {
    const req = decodeJson<OwnerRequest>(payload);
    let x = placement.ownedRoom(req.appKey, req.roomId);
    if (x && !placement.usable(x, x.room.assigned + 1)) {
      await placement.renewNow();
      x = placement.ownedRoom(req.appKey, req.roomId);
      if (x && !placement.usable(x, x.room.assigned + 1)) x = undefined;
    }
    if (!x) return encodeJson({ notOwner: true });
    const answer = (r: unknown): Uint8Array => encodeJson({ r });
    switch (req.op) {
      case 'send':
        return answer(req.items.map((b) => ops.send(x!, req.member, b)));
      case 'post':
        return answer(ops.post(x, req.userId, req.body));
      case 'join':
        return answer(ops.join(x, req.member, req.afterSeq, req.resume));
      case 'pull':
        return answer(ops.pull(x, req.member, req.fromSeq, req.toSeq, req.limit));
      case 'leave':
        x.room.removeMember(req.connectionId);
        return answer(true);
      case 'members':
        ops.members(x, req.members);
        return answer(true);
      case 'admin':
        return answer(await ops.admin(x, req.name, req.userId, req.api, req.args));
    }
  });

  function send(peer: Peer, rid: number, req: SendRequest): void {
    const s = peer.session;
    const roomId = req.convId.slice(2);
    const failSend = (code: ErrorCode, message?: string): void => peer.write(errorFrame(rid, code, { convId: req.convId, clientMsgId: req.clientMsgId, ...(message ? { message } : {}) }));
    if (!views.has(s.appKey, roomId, peer)) {
      // Rare: tell a destroyed or unknown room from one the connection is not in.
      void placement.resolve(s.appKey, roomId).then(
        (p) => failSend(p.kind === 'none' ? 'conv.not_found' : 'send.not_member'),
        () => failSend('send.not_member'),
      );
      return;
    }
    const bad = sendFieldsError(req, o.maxContentBytes);
    if (bad) return failSend(bad.code, bad.message);
    const member = memberOf(peer);
    const body: SendBody = { deviceId: s.deviceId, clientMsgId: req.clientMsgId, type: req.type, content: req.content, priority: req.priority, flags: req.flags };
    const ack = (r: SendResult | typeof NOT_FOUND | typeof UNAVAILABLE): void => {
      if (r === NOT_FOUND) return failSend('conv.not_found');
      if (r === UNAVAILABLE) return failSend('storage.unavailable', 'the room is moving to another node; retry');
      if (!r.ok) return failSend(r.code, r.message);
      peer.write(encodeFrame({ rid, body: { case: 'sendAck', value: { convId: req.convId, clientMsgId: req.clientMsgId, senderSeq: req.senderSeq, msgId: r.msgId, seq: BigInt(r.seq), ts: BigInt(r.ts), duplicate: r.duplicate, shed: r.shed } } }));
    };
    // The owner's own sends run synchronously, as on a single node (unless earlier ones of this connection still wait).
    const qk = `${s.connectionId}\u0000${roomId}`;
    const x = placement.ownedRoom(s.appKey, roomId);
    if (x && !sending.has(qk) && placement.usable(x, x.room.assigned + 1)) return ack(ops.send(x, member, body));
    // Forwarded sends of a connection go in batches, one request in flight at a time: order holds through
    // retries and owner changes (a retried batch is answered from the dedupe records), and throughput does
    // not wait on a round trip per message.
    let q = sending.get(qk);
    if (!q) sending.set(qk, (q = { items: [], busy: false }));
    q.items.push({ body, ack, failSend });
    if (!q.busy) pump(qk, q, s.appKey, roomId, member);
  }

  interface Queued {
    readonly body: SendBody;
    readonly ack: (r: SendResult | typeof NOT_FOUND | typeof UNAVAILABLE) => void;
    readonly failSend: (code: ErrorCode) => void;
  }

  function pump(qk: string, q: { items: Queued[]; busy: boolean }, appKey: string, roomId: string, member: RoomMember): void {
    if (q.items.length === 0) {
      sending.delete(qk);
      return;
    }
    q.busy = true;
    const batch = q.items.splice(0, SEND_BATCH);
    const items = batch.map((b) => b.body);
    toOwner(appKey, roomId, { appKey, roomId, op: 'send', member, items }, (y) => items.map((b) => ops.send(y, member, b)))
      .then(
        (r) => batch.forEach((b, i) => b.ack(r === NOT_FOUND || r === UNAVAILABLE ? r : (r[i] ?? UNAVAILABLE))),
        (err: unknown) => {
          o.log.warn({ err: String(err) }, 'room send failed');
          for (const b of batch) b.failSend('storage.unavailable');
        },
      )
      .finally(() => {
        q.busy = false;
        pump(qk, q, appKey, roomId, member);
      });
  }

  function pull(peer: Peer, rid: number, req: PullRequest): void {
    const s = peer.session;
    const roomId = req.convId.slice(2);
    if (!views.has(s.appKey, roomId, peer)) return peer.write(errorFrame(rid, 'auth.forbidden', { convId: req.convId }));
    const from = Math.max(1, Number(req.fromSeq));
    const to = req.toSeq === 0n ? Number.MAX_SAFE_INTEGER : Number(req.toSeq);
    const limit = Math.min(req.limit || 200, 500);
    const member = memberOf(peer);
    void toOwner(s.appKey, roomId, { appKey: s.appKey, roomId, op: 'pull', member, fromSeq: from, toSeq: to, limit }, (x) => ops.pull(x, member, from, to, limit)).then(
      (r) => {
        if (r === NOT_FOUND || r === UNAVAILABLE || !r.ok) return peer.write(errorFrame(rid, r === NOT_FOUND ? 'conv.not_found' : r === UNAVAILABLE ? 'storage.unavailable' : r.code, { convId: req.convId }));
        peer.write(encodeFrame({ rid, body: { case: 'pullResult', value: { convId: req.convId, messages: (r.messages ?? []).map(toWireMessage), hasMore: false, maxSeq: BigInt(r.maxSeq ?? 0) } } }));
      },
      () => peer.write(errorFrame(rid, 'storage.unavailable', { convId: req.convId })),
    );
  }

  /**
   * A send by the app's backend (server API) as `userId`: run on the owner
   * like a member's send, so it takes its place in the room's one seq order,
   * but the sender need not be joined ({@link createOwnerOps} `post`).
   */
  async function post(appKey: string, roomId: string, userId: string, body: SendBody): Promise<SendResult> {
    if (!isValidId(roomId)) return fail('conv.invalid_id');
    const bad = sendFieldsError(body, o.maxContentBytes);
    if (bad) return fail(bad.code, bad.message);
    const r = await toOwner(appKey, roomId, { appKey, roomId, op: 'post', userId, body }, (x) => ops.post(x, userId, body));
    return r === NOT_FOUND ? fail('conv.not_found') : r === UNAVAILABLE ? fail('storage.unavailable', 'the room is moving to another node; retry') : r;
  }

  /** Runs one operation; `actor` is a connection (SDK) or the API (all rights). */
  async function run(appKey: string, actor: RoomActor, roomId: string, op: string, a: Record<string, unknown>, afterSeq = 0): Promise<RoomOpResult> {
    if (!isValidId(roomId)) return fail('conv.invalid_id');
    const userId = 'peer' in actor ? actor.peer.session.userId : actor.userId;
    const settle = (r: RoomOpResult | typeof NOT_FOUND | typeof UNAVAILABLE): RoomOpResult =>
      r === NOT_FOUND ? fail('conv.not_found') : r === UNAVAILABLE ? fail('storage.unavailable', 'the room is moving to another node; retry') : r;
    if (op === 'create') {
      const admins = [...(Array.isArray(a.admins) ? (a.admins as unknown[]).filter((x): x is string => typeof x === 'string' && isValidId(x)) : []), ...('peer' in actor ? [userId] : [])];
      const state = { admins: [...new Set(admins)], banned: [], muted: {}, policy: { ...policyOf(appKey) }, attrs: {} };
      const x = await placement.create({ appKey, roomId, createdAt: o.now(), state, owner: o.self, epoch: 1, leaseLive: true });
      return x ? { ok: true, value: { roomId, seq: 0 } } : fail('conv.exists');
    }
    if (op === 'join') {
      if (!('peer' in actor)) return fail('protocol.invalid_request', 'connections join rooms');
      const peer = actor.peer;
      const member = memberOf(peer);
      const resume = a.resume === true;
      // Subscribed before the owner answers: nothing published after the answer can be missed.
      views.attach(appKey, roomId, peer);
      const r = settle(await toOwner(appKey, roomId, { appKey, roomId, op: 'join', member, afterSeq, resume }, (x) => ops.join(x, member, afterSeq, resume)));
      if (!r.ok) views.detach(appKey, roomId, peer);
      return r;
    }
    if (op === 'leave') {
      if ('peer' in actor) {
        views.detach(appKey, roomId, actor.peer);
        const connectionId = actor.peer.session.connectionId;
        const r = await toOwner(appKey, roomId, { appKey, roomId, op: 'leave', connectionId }, (x) => x.room.removeMember(connectionId));
        if (r === NOT_FOUND) return fail('conv.not_found');
      }
      return { ok: true, value: { roomId } };
    }
    const api = !('peer' in actor);
    return settle(await toOwner(appKey, roomId, { appKey, roomId, op: 'admin', name: op, userId, api, args: a }, (x) => ops.admin(x, op, userId, api, a)));
  }

  function request(peer: Peer, rid: number, req: ConvRequest): void {
    let args: Record<string, unknown> = {};
    try {
      if (req.args) args = JSON.parse(req.args) as Record<string, unknown>;
    } catch {
      return peer.write(errorFrame(rid, 'protocol.invalid_request', { convId: req.convId, message: 'args must be a JSON object' }));
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return peer.write(errorFrame(rid, 'protocol.invalid_request', { message: 'args must be a JSON object' }));
    const s = peer.session;
    const roomId = req.convId.slice(2);
    void run(s.appKey, { peer }, roomId, req.op, args, Number(req.afterSeq)).then(
      (r) => {
        if (!r.ok) return peer.write(errorFrame(rid, r.code, { convId: req.convId, ...(r.message ? { message: r.message } : {}) }));
        peer.write(encodeFrame({ rid, body: { case: 'convResult', value: { convId: req.convId, result: JSON.stringify(r.value), messages: (r.messages ?? []).map(toWireMessage), maxSeq: BigInt(r.maxSeq ?? 0) } } }));
        // What was published while the join was answered follows the answer.
        if (req.op === 'join') views.joined(s.appKey, roomId, peer, r.epoch ?? 0);
      },
      (err: unknown) => {
        o.log.warn({ err: String(err) }, 'room request failed');
        peer.write(errorFrame(rid, 'storage.unavailable', { convId: req.convId }));
      },
    );
  }

  placement.start();

  // Members of a node that stopped heartbeating are forgotten (they re-join elsewhere). Only a node once
  // listed and now missing counts as dead: a list read before a new node's first heartbeat must not prune it.
  // Checked every second, so any node that lived a few heartbeats has been seen; nothing is scanned unless a node died.
  const seenNodes = new Set<string>([o.self]);
  const liveNodes = o.liveNodes;
  const pruner = liveNodes
    ? setInterval(() => {
        const live = new Set(liveNodes());
        if (live.size === 0) return;
        for (const n of live) seenNodes.add(n);
        const dead = new Set([...seenNodes].filter((n) => !live.has(n)));
        if (dead.size === 0) return;
        for (const x of placement.ownedRooms()) for (const m of [...x.room.members.values()]) if (dead.has(m.node)) x.room.removeMember(m.connectionId);
      }, Math.min(1000, ttl))
    : undefined;
  pruner?.unref();

  return {
    send,
    pull,
    request,
    run,
    post,
    /** The connection closed: it leaves every room it joined (the owners are told, best effort). */
    closed(peer: Peer): void {
      for (const { appKey, roomId } of views.closed(peer)) {
        const connectionId = peer.session.connectionId;
        const x = placement.ownedRoom(appKey, roomId);
        if (x) x.room.removeMember(connectionId);
        else void toOwner(appKey, roomId, { appKey, roomId, op: 'leave', connectionId }, (y) => y.room.removeMember(connectionId)).catch(() => undefined);
      }
    },
    /** Sets an app's policy for rooms created from now on (through this node). */
    setPolicy(appKey: string, p: Partial<RoomPolicy>): RoomPolicy {
      const next = { ...policyOf(appKey), ...p };
      policies.set(appKey, next);
      return next;
    },
    policyOf,
    /** Rooms this node owns (metrics, tests). */
    get size(): number {
      return placement.ownedCount;
    },
    /** Rooms with members on this node (metrics, tests). */
    get viewed(): number {
      return views.size;
    },
    /** Stops answering for rooms and ends this node's leases, so other nodes take them at once. */
    async close(): Promise<void> {
      offResponder();
      clearInterval(pruner);
      for (const t of flushTimers.values()) clearTimeout(t);
      flushTimers.clear();
      await placement.close();
    },
  };
}

/** The chatroom service. */
export type Rooms = ReturnType<typeof createRooms>;
export { PRIORITY };
