import { encodeFrame, isValidId, type ConvRequest, type ErrorCode, type PullRequest, type SendRequest } from '@tidings/protocol';
import { MAX_ID_LENGTH } from '@tidings/protocol';
import type { Logger } from '../../log/logger.ts';
import { errorFrame } from '../replies.ts';
import type { Peer } from '../session.ts';
import { pushFrame, toWireMessage } from '../wire.ts';
import { PRIORITY, Room, type RoomEntry, type RoomPolicy } from './room.ts';

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
}

/** Who asks: a connection (SDK) or the app's backend (API, all rights). */
export type RoomActor = { readonly peer: Peer } | { readonly api: true; readonly userId: string };

/** The answer to a room operation. */
export type RoomOpResult =
  | { readonly ok: true; readonly value: Record<string, unknown>; readonly messages?: readonly RoomEntry[]; readonly maxSeq?: number }
  | { readonly ok: false; readonly code: ErrorCode; readonly message?: string };

/** Prefix of notification entry types: `tidings.room.<what>`. */
export const ROOM_TYPE_PREFIX = 'tidings.room.';
const MAX_ATTRS = 100;
const MAX_ATTR_BYTES = 1024;

const fail = (code: ErrorCode, message?: string): RoomOpResult => ({ ok: false, code, ...(message ? { message } : {}) });

/**
 * Chatrooms: join on enter, no offline storage. Each room lives in memory on
 * this node ({@link Room}); its members are the connections that joined.
 * A message gets the room's next seq and an ack, is kept in the recent window
 * and pushed to every member connection, encoded once (the gateway coalesces
 * writes per socket per tick and closes a slow consumer instead of holding
 * up the room). A reconnecting client re-joins with its last seq and gets
 * what it missed from the window, or a marker for what fell out of it.
 */
export function createRooms(o: RoomsOptions) {
  const rooms = new Map<string, Room>();
  const policies = new Map<string, RoomPolicy>();
  const joined = new Map<Peer, Set<Room>>();
  const markerDelay = o.markerDelayMs ?? 50;
  const key = (appKey: string, roomId: string): string => `${appKey}\u0000${roomId}`;
  const policyOf = (appKey: string): RoomPolicy => policies.get(appKey) ?? o.policy;

  /** Pushes entries to every member connection, each frame encoded once. */
  function fanOut(room: Room, entries: ReadonlyArray<RoomEntry | undefined>, skip?: string): void {
    for (const e of entries) {
      if (!e) continue;
      const bytes = pushFrame(e);
      // The sender's own connection has the ack instead (markers go to everyone).
      if (skip === undefined || e.coversTo) for (const p of room.members.values()) p.write(bytes);
      else for (const p of room.members.values()) if (p.session.connectionId !== skip) p.write(bytes);
    }
  }

  const flushTimers = new Map<Room, NodeJS.Timeout>();
  function scheduleMarker(room: Room): void {
    if (flushTimers.has(room)) return;
    const t = setTimeout(() => {
      flushTimers.delete(room);
      fanOut(room, [room.flushShed(o.now())]);
    }, markerDelay);
    t.unref();
    flushTimers.set(room, t);
  }

  function notify(room: Room, by: string, what: string, detail: Record<string, unknown>): number {
    const now = o.now();
    const { message, marker } = room.notify(now, (seq) => entry(room, seq, by, '~room', `${what}:${seq}`, ROOM_TYPE_PREFIX + what, new TextEncoder().encode(JSON.stringify({ by, ...detail })), now, 0));
    fanOut(room, [marker, message]);
    return message.seq;
  }

  function entry(room: Room, seq: number, senderId: string, senderDevice: string, clientMsgId: string, type: string, content: Uint8Array, ts: number, flags: number): RoomEntry {
    return { appKey: room.appKey, convId: room.convId, seq, msgId: o.newMsgId(), senderId, senderDevice, clientMsgId, senderSeq: 0, type, content, ts, flags };
  }

  function leave(room: Room, peer: Peer): void {
    room.removeMember(peer);
    joined.get(peer)?.delete(room);
  }

  function removeUser(room: Room, userId: string): void {
    for (const p of [...room.members.values()]) if (p.session.userId === userId) leave(room, p);
  }

  function destroy(room: Room): void {
    for (const p of [...room.members.values()]) leave(room, p);
    rooms.delete(key(room.appKey, room.roomId));
    const t = flushTimers.get(room);
    if (t) clearTimeout(t);
    flushTimers.delete(room);
  }

  function send(peer: Peer, rid: number, req: SendRequest): void {
    const s = peer.session;
    const failSend = (code: ErrorCode, message?: string): void => peer.write(errorFrame(rid, code, { convId: req.convId, clientMsgId: req.clientMsgId, ...(message ? { message } : {}) }));
    const room = rooms.get(key(s.appKey, req.convId.slice(2)));
    if (!room) return failSend('conv.not_found');
    if (!room.members.has(s.connectionId)) return failSend('send.not_member');
    if (!req.clientMsgId || req.clientMsgId.length > MAX_ID_LENGTH) return failSend('protocol.invalid_request', 'clientMsgId must be 1-128 characters');
    if (!req.type || req.type.length > 64) return failSend('protocol.invalid_request', 'type must be 1-64 characters');
    if (req.content.byteLength > o.maxContentBytes) return failSend('send.content_too_large');
    const now = o.now();
    if ((room.muted.get(s.userId) ?? 0) > now) return failSend('send.muted');
    const r = room.admit({ senderId: s.userId, clientMsgId: req.clientMsgId }, req.priority, now, (seq) =>
      entry(room, seq, s.userId, s.deviceId, req.clientMsgId, req.type, req.content, now, req.flags >>> 0),
    );
    const ack = (seq: number, msgId: string, ts: number, duplicate: boolean, shed: boolean): void =>
      peer.write(encodeFrame({ rid, body: { case: 'sendAck', value: { convId: req.convId, clientMsgId: req.clientMsgId, senderSeq: req.senderSeq, msgId, seq: BigInt(seq), ts: BigInt(ts), duplicate, shed } } }));
    if (r.kind === 'duplicate') return ack(r.seq, r.msgId, r.ts, true, r.shed);
    if (r.kind === 'shed') {
      ack(r.seq, '', now, false, true);
      return scheduleMarker(room);
    }
    ack(r.message.seq, r.message.msgId, r.message.ts, false, false);
    fanOut(room, [r.marker, r.message], s.connectionId);
  }

  function pull(peer: Peer, rid: number, req: PullRequest): void {
    const s = peer.session;
    const room = rooms.get(key(s.appKey, req.convId.slice(2)));
    if (!room) return peer.write(errorFrame(rid, 'conv.not_found', { convId: req.convId }));
    if (!room.members.has(s.connectionId)) return peer.write(errorFrame(rid, 'auth.forbidden', { convId: req.convId }));
    const from = Math.max(1, Number(req.fromSeq));
    const to = req.toSeq === 0n ? Number.MAX_SAFE_INTEGER : Number(req.toSeq);
    const entries = room.since(from - 1, Math.min(req.limit || 200, 500), o.now()).filter((e) => e.seq <= to);
    peer.write(encodeFrame({ rid, body: { case: 'pullResult', value: { convId: req.convId, messages: entries.map(toWireMessage), hasMore: false, maxSeq: BigInt(room.maxSeq) } } }));
  }

  /** Runs one operation; `actor` is a connection (SDK) or the API (all rights). */
  function run(appKey: string, actor: RoomActor, roomId: string, op: string, a: Record<string, unknown>, afterSeq = 0): RoomOpResult {
    if (!isValidId(roomId)) return fail('conv.invalid_id');
    const userId = 'peer' in actor ? actor.peer.session.userId : actor.userId;
    let room = rooms.get(key(appKey, roomId));
    if (op === 'create') {
      if (room) return fail('conv.exists');
      const admins = [...(Array.isArray(a.admins) ? (a.admins as unknown[]).filter((x): x is string => typeof x === 'string' && isValidId(x)) : []), ...('peer' in actor ? [userId] : [])];
      room = new Room(appKey, roomId, policyOf(appKey), admins, o.now());
      rooms.set(key(appKey, roomId), room);
      return { ok: true, value: { roomId, seq: 0 } };
    }
    if (!room) return fail('conv.not_found');
    const isAdmin = !('peer' in actor) || room.admins.has(userId);
    const admin = (): RoomOpResult | undefined => (isAdmin ? undefined : fail('auth.forbidden', 'room admins only'));
    const target = typeof a.userId === 'string' && isValidId(a.userId) ? a.userId : undefined;
    switch (op) {
      case 'join': {
        if (!('peer' in actor)) return fail('protocol.invalid_request', 'connections join rooms');
        if (room.banned.has(userId)) return fail('room.banned');
        room.addMember(actor.peer);
        let set = joined.get(actor.peer);
        if (!set) joined.set(actor.peer, (set = new Set()));
        set.add(room);
        // A re-join (after_seq > 0, or resume) catches up from the window, with a marker for what fell out of it.
        const messages = afterSeq > 0 || a.resume === true ? room.since(afterSeq, room.policy.windowSize, o.now()) : room.recent(room.policy.joinRecent);
        return { ok: true, value: { roomId, memberCount: room.userCount(), attrs: Object.fromEntries(room.attrs) }, messages, maxSeq: room.maxSeq };
      }
      case 'leave':
        if ('peer' in actor) leave(room, actor.peer);
        return { ok: true, value: { roomId } };
      case 'info':
        return { ok: true, value: { roomId, memberCount: room.userCount(), connections: room.members.size, maxSeq: room.maxSeq, attrs: Object.fromEntries(room.attrs), createdAt: room.createdAt, policy: room.policy } };
      case 'kick':
      case 'ban':
      case 'unban': {
        const denied = admin();
        if (denied) return denied;
        if (!target) return fail('protocol.invalid_request', 'userId must be a user id');
        if (op === 'unban') {
          room.banned.delete(target);
          return { ok: true, value: { roomId, seq: 0 } };
        }
        if (op === 'ban') room.banned.add(target);
        const seq = notify(room, userId, op === 'ban' ? 'banned' : 'kicked', { userId: target });
        removeUser(room, target);
        return { ok: true, value: { roomId, seq } };
      }
      case 'mute': {
        const denied = admin();
        if (denied) return denied;
        const until = Number(a.until ?? 0);
        if (!target || !Number.isSafeInteger(until) || until < 0) return fail('protocol.invalid_request', 'userId and until (ms, 0 unmutes) required');
        if (until > 0) room.muted.set(target, until);
        else room.muted.delete(target);
        return { ok: true, value: { roomId, seq: notify(room, userId, until > 0 ? 'muted' : 'unmuted', { userId: target, until }) } };
      }
      case 'set_attrs': {
        const denied = admin();
        if (denied) return denied;
        const attrs = a.attrs;
        if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) return fail('protocol.invalid_request', 'attrs must be an object of strings');
        const entries = Object.entries(attrs as Record<string, unknown>);
        if (!entries.every(([k, v]) => k.length > 0 && k.length <= 128 && typeof v === 'string' && v.length <= MAX_ATTR_BYTES)) return fail('protocol.invalid_request', 'attribute keys are 1-128 characters, values strings of at most 1 KiB');
        const after = new Set([...room.attrs.keys(), ...entries.map(([k]) => k)]);
        if (after.size > MAX_ATTRS) return fail('protocol.invalid_request', `at most ${MAX_ATTRS} attributes`);
        for (const [k, v] of entries) room.attrs.set(k, v as string);
        return { ok: true, value: { roomId, seq: notify(room, userId, 'attrs_set', { attrs }) } };
      }
      case 'delete_attrs': {
        const denied = admin();
        if (denied) return denied;
        const keys = Array.isArray(a.keys) ? (a.keys as unknown[]).filter((k): k is string => typeof k === 'string') : [];
        const gone = keys.filter((k) => room.attrs.delete(k));
        return { ok: true, value: { roomId, seq: gone.length ? notify(room, userId, 'attrs_deleted', { keys: gone }) : 0 } };
      }
      case 'destroy': {
        const denied = admin();
        if (denied) return denied;
        const seq = notify(room, userId, 'destroyed', {});
        destroy(room);
        return { ok: true, value: { roomId, seq } };
      }
      default:
        return fail('protocol.invalid_request', `unknown room op ${op}`);
    }
  }

  function request(peer: Peer, rid: number, req: ConvRequest): void {
    let args: Record<string, unknown> = {};
    try {
      if (req.args) args = JSON.parse(req.args) as Record<string, unknown>;
    } catch {
      return peer.write(errorFrame(rid, 'protocol.invalid_request', { convId: req.convId, message: 'args must be a JSON object' }));
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return peer.write(errorFrame(rid, 'protocol.invalid_request', { message: 'args must be a JSON object' }));
    const r = run(peer.session.appKey, { peer }, req.convId.slice(2), req.op, args, Number(req.afterSeq));
    if (!r.ok) return peer.write(errorFrame(rid, r.code, { convId: req.convId, ...(r.message ? { message: r.message } : {}) }));
    peer.write(encodeFrame({ rid, body: { case: 'convResult', value: { convId: req.convId, result: JSON.stringify(r.value), messages: (r.messages ?? []).map(toWireMessage), maxSeq: BigInt(r.maxSeq ?? 0) } } }));
  }

  return {
    send,
    pull,
    request,
    run,
    /** The connection closed: it leaves every room it joined. */
    closed(peer: Peer): void {
      for (const room of joined.get(peer) ?? []) room.removeMember(peer);
      joined.delete(peer);
    },
    /** Sets an app's policy for rooms created from now on. */
    setPolicy(appKey: string, p: Partial<RoomPolicy>): RoomPolicy {
      const next = { ...policyOf(appKey), ...p };
      policies.set(appKey, next);
      return next;
    },
    policyOf,
    /** Rooms held on this node (metrics, tests). */
    get size(): number {
      return rooms.size;
    },
  };
}

/** The chatroom service. */
export type Rooms = ReturnType<typeof createRooms>;
export { PRIORITY };
