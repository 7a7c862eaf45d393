import type { ContentCipher } from './content-cipher.ts';
import type { RoomRow, RoomState } from './room-port.ts';

/** Room rows as both adapters store them: state JSON (admins, bans, mutes, policy) beside the sealed attributes. */

/** The state column: everything but the attributes, which have their own sealed column. */
export function roomStateText(state: RoomState): string {
  return JSON.stringify({ admins: state.admins, banned: state.banned, muted: state.muted, policy: state.policy });
}

/** A stored room row (snake_case columns) with its attributes opened. */
export function toRoomRow(r: Record<string, unknown>, cipher: ContentCipher, now: number): RoomRow {
  const appKey = r.app_key as string;
  const roomId = r.room_id as string;
  const s = JSON.parse(r.state as string) as Omit<RoomState, 'attrs'>;
  return {
    appKey,
    roomId,
    createdAt: Number(r.created_at),
    owner: r.owner as string,
    epoch: Number(r.epoch),
    leaseLive: Number(r.lease_until) > now,
    state: { ...s, attrs: cipher.openRoomAttrs(appKey, roomId, r.attrs as string) },
  };
}
