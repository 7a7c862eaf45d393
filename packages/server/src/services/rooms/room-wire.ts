import type { RoomMember } from './room.ts';

/**
 * What travels between nodes for chatrooms. Entries go out once per room on
 * the room topic as [version][kind][epoch u32][user length u16][user][push
 * frame]: the header is tiny and the frame is the encoded push, written
 * unchanged to every member connection of every node. Requests to the owner
 * (and their answers) are JSON over bus request/reply.
 */

/** Topic of a room's entries: every node with members subscribes while it has them. */
export const roomTopic = (appKey: string, roomId: string): string => `r.${appKey}.${roomId}`;
/** Topic a node answers its owned rooms' requests on. */
export const ownerTopic = (node: string): string => `rooms.${node}`;

/** What a receiving node does besides writing the frame. */
export const ENTRY_KIND = { entry: 0, kicked: 1, destroyed: 2 } as const;
export type EntryKind = (typeof ENTRY_KIND)[keyof typeof ENTRY_KIND];

const VERSION = 2;

/** What a node remembers of a message entry it fanned out, so it can answer a resend if it takes the room over. */
export interface EntryAck {
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly seq: number;
  readonly msgId: string;
  readonly ts: number;
}

/** The header of a published entry. `user` is the sender (a message) or the user concerned (a kick). */
export interface EntryHeader {
  readonly kind: EntryKind;
  readonly epoch: number;
  readonly seq: number;
  readonly ts: number;
  readonly user: string;
  readonly clientMsgId: string;
  readonly msgId: string;
}

const texts = new TextEncoder();
const fromText = new TextDecoder();

/** One published entry: [version][kind][epoch u32][seq f64][ts f64], three u16-prefixed strings, then the frame. */
export function encodeEntry(h: EntryHeader, frame: Uint8Array): Uint8Array {
  const parts = [texts.encode(h.user), texts.encode(h.clientMsgId), texts.encode(h.msgId)];
  const head = 22 + parts.reduce((n, x) => n + 2 + x.length, 0);
  const out = new Uint8Array(head + frame.length);
  const dv = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = h.kind;
  dv.setUint32(2, h.epoch);
  dv.setFloat64(6, h.seq);
  dv.setFloat64(14, h.ts);
  let at = 22;
  for (const x of parts) {
    dv.setUint16(at, x.length);
    out.set(x, at + 2);
    at += 2 + x.length;
  }
  out.set(frame, head);
  return out;
}

/** The header and frame of {@link encodeEntry} (the frame is a view, not a copy); undefined for a foreign payload. */
export function decodeEntry(p: Uint8Array): (EntryHeader & { readonly frame: Uint8Array }) | undefined {
  if (p.length < 28 || p[0] !== VERSION) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let at = 22;
  const text = (): string => {
    const n = dv.getUint16(at);
    const t = fromText.decode(p.subarray(at + 2, at + 2 + n));
    at += 2 + n;
    return t;
  };
  const user = text();
  const clientMsgId = text();
  const msgId = text();
  return { kind: p[1] as EntryKind, epoch: dv.getUint32(2), seq: dv.getFloat64(6), ts: dv.getFloat64(14), user, clientMsgId, msgId, frame: p.subarray(at) };
}

/** One send as forwarded to the owner (a member's, or the server API's). */
export interface SendBody {
  readonly deviceId: string;
  readonly clientMsgId: string;
  readonly type: string;
  readonly content: Uint8Array;
  readonly priority: number;
  readonly flags: number;
}

/** A request to a room's owner. */
export type OwnerRequest = { readonly appKey: string; readonly roomId: string } & (
  | { readonly op: 'send'; readonly member: RoomMember; readonly items: readonly SendBody[] }
  | { readonly op: 'post'; readonly userId: string; readonly body: SendBody }
  | { readonly op: 'join'; readonly member: RoomMember; readonly afterSeq: number; readonly resume: boolean }
  | { readonly op: 'leave'; readonly connectionId: string }
  | { readonly op: 'pull'; readonly member: RoomMember; readonly fromSeq: number; readonly toSeq: number; readonly limit: number }
  | { readonly op: 'members'; readonly members: readonly RoomMember[] }
  | { readonly op: 'admin'; readonly name: string; readonly userId: string; readonly api: boolean; readonly args: Record<string, unknown> }
);
