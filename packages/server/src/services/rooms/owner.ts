import { isValidId, type ErrorCode } from '@tidings/protocol';
import type { RoomStore } from '../../storage/room-port.ts';
import type { RoomEntry, RoomMember } from './room.ts';
import type { Room } from './room.ts';
import type { Owned } from './placement.ts';
import { ENTRY_KIND, type EntryKind, type SendBody } from './room-wire.ts';

/** The answer to a room operation. */
export type RoomOpResult =
  | { readonly ok: true; readonly value: Record<string, unknown>; readonly messages?: readonly RoomEntry[]; readonly maxSeq?: number; readonly epoch?: number }
  | { readonly ok: false; readonly code: ErrorCode; readonly message?: string };

/** The answer to a room send. */
export type SendResult =
  | { readonly ok: true; readonly seq: number; readonly msgId: string; readonly ts: number; readonly duplicate: boolean; readonly shed: boolean }
  | { readonly ok: false; readonly code: ErrorCode; readonly message?: string };

/** Prefix of notification entry types: `tidings.room.<what>`. */
export const ROOM_TYPE_PREFIX = 'tidings.room.';
const MAX_ATTRS = 100;
const MAX_ATTR_BYTES = 1024;

export const fail = (code: ErrorCode, message?: string): { ok: false; code: ErrorCode; message?: string } => ({ ok: false, code, ...(message ? { message } : {}) });

/** What the owner side needs from the service. */
export interface OwnerDeps {
  readonly store: RoomStore;
  readonly now: () => number;
  readonly newMsgId: () => string;
  /** Publishes one entry of an owned room on its topic (once for every node). */
  readonly publish: (x: Owned<Room>, e: RoomEntry | undefined, skip?: string, kind?: EntryKind, user?: string) => void;
  /** Arms the timer that closes a pending shed run with its marker. */
  readonly scheduleMarker: (x: Owned<Room>) => void;
  /** The room is gone (destroyed here). */
  readonly destroyed: (x: Owned<Room>) => void;
}

/**
 * The owner side of chatrooms: every operation runs here, on the room's
 * sequencer, whichever node the member or the API call came in through.
 * State that must survive an owner change is written (fenced by epoch)
 * before its notification entry is published.
 */
export function createOwnerOps(d: OwnerDeps) {
  const lanes = new Map<Room, Promise<unknown>>();

  function entry(room: Room, seq: number, senderId: string, senderDevice: string, clientMsgId: string, type: string, content: Uint8Array, ts: number, flags: number): RoomEntry {
    return { appKey: room.appKey, convId: room.convId, seq, msgId: d.newMsgId(), senderId, senderDevice, clientMsgId, senderSeq: 0, type, content, ts, flags };
  }

  function notify(x: Owned<Room>, by: string, what: string, detail: Record<string, unknown>, kind: EntryKind = ENTRY_KIND.entry, user = ''): number {
    const room = x.room;
    const now = d.now();
    const { message, marker } = room.notify(now, (seq) => entry(room, seq, by, '~room', `${what}:${seq}`, ROOM_TYPE_PREFIX + what, new TextEncoder().encode(JSON.stringify({ by, ...detail })), now, 0));
    d.publish(x, marker);
    d.publish(x, message, undefined, kind, user);
    return message.seq;
  }

  /** Writes the room's durable state; false when a newer owner fenced this one. */
  const save = (x: Owned<Room>): Promise<boolean> => d.store.saveRoomState(x.room.appKey, x.room.roomId, x.epoch, x.room.durable());

  /** Admin operations of one room run one at a time: each stores its state before the next reads it. */
  function inLane<T>(room: Room, fn: () => Promise<T>): Promise<T> {
    const p = (lanes.get(room) ?? Promise.resolve()).then(fn, fn);
    const tail = p.catch(() => undefined);
    lanes.set(room, tail);
    void tail.then(() => {
      if (lanes.get(room) === tail) lanes.delete(room);
    });
    return p;
  }

  /** Gives a send its seq (or sheds it) and publishes it; `skip` is the sending connection (it has its ack). */
  function admit(x: Owned<Room>, senderId: string, req: SendBody, skip?: string): SendResult {
    const room = x.room;
    const now = d.now();
    const r = room.admit({ senderId, clientMsgId: req.clientMsgId }, req.priority, now, (seq) => entry(room, seq, senderId, req.deviceId, req.clientMsgId, req.type, req.content, now, req.flags >>> 0));
    if (r.kind === 'duplicate') return { ok: true, seq: r.seq, msgId: r.msgId, ts: r.ts, duplicate: true, shed: r.shed };
    if (r.kind === 'shed') {
      d.scheduleMarker(x);
      return { ok: true, seq: r.seq, msgId: '', ts: now, duplicate: false, shed: true };
    }
    d.publish(x, r.marker);
    d.publish(x, r.message, skip);
    return { ok: true, seq: r.message.seq, msgId: r.message.msgId, ts: r.message.ts, duplicate: false, shed: false };
  }

  return {
    send(x: Owned<Room>, m: RoomMember, req: SendBody): SendResult {
      const room = x.room;
      if (room.banned.has(m.userId)) return fail('send.not_member');
      // The member's node vouches for the join (after a takeover this owner has not seen it).
      room.addMember(m);
      if ((room.muted.get(m.userId) ?? 0) > d.now()) return fail('send.muted');
      return admit(x, m.userId, req, m.connectionId);
    },

    /**
     * A send by the app's backend (server API) as `userId` (a user, or the
     * system sender): no membership needed and none made, but a banned user is
     * refused (`room.banned`), a muted one too (`send.muted`), and the room's
     * overload bucket applies as to any send.
     */
    post(x: Owned<Room>, userId: string, req: SendBody): SendResult {
      const room = x.room;
      if (room.banned.has(userId)) return fail('room.banned');
      if ((room.muted.get(userId) ?? 0) > d.now()) return fail('send.muted');
      return admit(x, userId, req);
    },

    join(x: Owned<Room>, m: RoomMember, afterSeq: number, resume: boolean): RoomOpResult {
      const room = x.room;
      if (room.banned.has(m.userId)) return fail('room.banned');
      room.addMember(m);
      // A re-join (after_seq > 0, or resume) catches up from the window, with a marker for what fell out of it.
      const messages = afterSeq > 0 || resume ? room.since(afterSeq, room.policy.windowSize, d.now()) : room.recent(room.policy.joinRecent);
      return { ok: true, value: { roomId: room.roomId, memberCount: room.userCount(), attrs: Object.fromEntries(room.attrs) }, messages, maxSeq: room.maxSeq, epoch: x.epoch };
    },

    pull(x: Owned<Room>, m: RoomMember, fromSeq: number, toSeq: number, limit: number): RoomOpResult {
      const room = x.room;
      if (room.banned.has(m.userId)) return fail('auth.forbidden');
      room.addMember(m);
      const messages = room.since(fromSeq - 1, limit, d.now()).filter((e) => e.seq <= toSeq);
      return { ok: true, value: {}, messages, maxSeq: room.maxSeq, epoch: x.epoch };
    },

    members(x: Owned<Room>, list: readonly RoomMember[]): void {
      for (const m of list) if (!x.room.banned.has(m.userId)) x.room.addMember(m);
    },

    /** Management; `api` callers have every right, `userId` names who acts. */
    admin(x: Owned<Room>, op: string, userId: string, api: boolean, a: Record<string, unknown>): Promise<RoomOpResult> {
      const room = x.room;
      return inLane(room, async (): Promise<RoomOpResult> => {
        const isAdmin = api || room.admins.has(userId);
        const denied = isAdmin ? undefined : fail('auth.forbidden', 'room admins only');
        const target = typeof a.userId === 'string' && isValidId(a.userId) ? a.userId : undefined;
        const stored = async (): Promise<RoomOpResult | undefined> => ((await save(x)) ? undefined : fail('storage.unavailable', 'the room moved to another node; retry'));
        switch (op) {
          case 'info':
            return { ok: true, value: { roomId: room.roomId, memberCount: room.userCount(), connections: room.members.size, maxSeq: room.maxSeq, attrs: Object.fromEntries(room.attrs), createdAt: room.createdAt, policy: room.policy } };
          case 'kick':
          case 'ban':
          case 'unban': {
            if (denied) return denied;
            if (!target) return fail('protocol.invalid_request', 'userId must be a user id');
            if (op === 'unban') {
              room.banned.delete(target);
              return (await stored()) ?? { ok: true, value: { roomId: room.roomId, seq: 0 } };
            }
            if (op === 'ban') {
              room.banned.add(target);
              const failed = await stored();
              if (failed) return failed;
            }
            const seq = notify(x, userId, op === 'ban' ? 'banned' : 'kicked', { userId: target }, ENTRY_KIND.kicked, target);
            room.removeUser(target);
            return { ok: true, value: { roomId: room.roomId, seq } };
          }
          case 'mute': {
            if (denied) return denied;
            const until = Number(a.until ?? 0);
            if (!target || !Number.isSafeInteger(until) || until < 0) return fail('protocol.invalid_request', 'userId and until (ms, 0 unmutes) required');
            if (until > 0) room.muted.set(target, until);
            else room.muted.delete(target);
            return (await stored()) ?? { ok: true, value: { roomId: room.roomId, seq: notify(x, userId, until > 0 ? 'muted' : 'unmuted', { userId: target, until }) } };
          }
          case 'set_attrs': {
            if (denied) return denied;
            const attrs = a.attrs;
            if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) return fail('protocol.invalid_request', 'attrs must be an object of strings');
            const entries = Object.entries(attrs as Record<string, unknown>);
            if (!entries.every(([k, v]) => k.length > 0 && k.length <= 128 && typeof v === 'string' && v.length <= MAX_ATTR_BYTES)) return fail('protocol.invalid_request', 'attribute keys are 1-128 characters, values strings of at most 1 KiB');
            const after = new Set([...room.attrs.keys(), ...entries.map(([k]) => k)]);
            if (after.size > MAX_ATTRS) return fail('protocol.invalid_request', `at most ${MAX_ATTRS} attributes`);
            for (const [k, v] of entries) room.attrs.set(k, v as string);
            return (await stored()) ?? { ok: true, value: { roomId: room.roomId, seq: notify(x, userId, 'attrs_set', { attrs }) } };
          }
          case 'delete_attrs': {
            if (denied) return denied;
            const keys = Array.isArray(a.keys) ? (a.keys as unknown[]).filter((k): k is string => typeof k === 'string') : [];
            const gone = keys.filter((k) => room.attrs.delete(k));
            if (gone.length === 0) return { ok: true, value: { roomId: room.roomId, seq: 0 } };
            return (await stored()) ?? { ok: true, value: { roomId: room.roomId, seq: notify(x, userId, 'attrs_deleted', { keys: gone }) } };
          }
          case 'destroy': {
            if (denied) return denied;
            if (!(await d.store.deleteRoom(room.appKey, room.roomId, x.epoch))) return fail('storage.unavailable', 'the room moved to another node; retry');
            const seq = notify(x, userId, 'destroyed', {}, ENTRY_KIND.destroyed);
            d.destroyed(x);
            return { ok: true, value: { roomId: room.roomId, seq } };
          }
          default:
            return fail('protocol.invalid_request', `unknown room op ${op}`);
        }
      });
    },
  };
}
