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

const VERSION = 1;

/** One published entry: the header, then the frame. */
export function encodeEntry(kind: EntryKind, epoch: number, user: string, frame: Uint8Array): Uint8Array {
  const u = new TextEncoder().encode(user);
  const out = new Uint8Array(8 + u.length + frame.length);
  const dv = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = kind;
  dv.setUint32(2, epoch);
  dv.setUint16(6, u.length);
  out.set(u, 8);
  out.set(frame, 8 + u.length);
  return out;
}

/** The header and frame of {@link encodeEntry} (the frame is a view, not a copy); undefined for a foreign payload. */
export function decodeEntry(p: Uint8Array): { kind: EntryKind; epoch: number; user: string; frame: Uint8Array } | undefined {
  if (p.length < 8 || p[0] !== VERSION) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const n = dv.getUint16(6);
  return { kind: p[1] as EntryKind, epoch: dv.getUint32(2), user: new TextDecoder().decode(p.subarray(8, 8 + n)), frame: p.subarray(8 + n) };
}

/** A request to a room's owner. */
export type OwnerRequest = { readonly appKey: string; readonly roomId: string } & (
  | { readonly op: 'send'; readonly member: RoomMember; readonly deviceId: string; readonly clientMsgId: string; readonly type: string; readonly content: Uint8Array; readonly priority: number; readonly flags: number }
  | { readonly op: 'join'; readonly member: RoomMember; readonly afterSeq: number; readonly resume: boolean }
  | { readonly op: 'leave'; readonly connectionId: string }
  | { readonly op: 'pull'; readonly member: RoomMember; readonly fromSeq: number; readonly toSeq: number; readonly limit: number }
  | { readonly op: 'members'; readonly members: readonly RoomMember[] }
  | { readonly op: 'admin'; readonly name: string; readonly userId: string; readonly api: boolean; readonly args: Record<string, unknown> }
);
