import type pg from 'pg';
import type { ContentCipher } from '../content-cipher.ts';
import type { RoomStore } from '../room-port.ts';
import { roomStateText, toRoomRow } from '../room-rows.ts';

/** PostgreSQL's clock in ms: every node measures leases against this one clock, so node clock skew cannot make two owners. */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/**
 * The room part of the PostgreSQL store: room rows with their owner lease.
 * `query` runs one statement on the store's pool (refused once it is closed);
 * `keysFor` loads the app's data keys before attributes are sealed or opened.
 */
export function createPostgresRooms(
  query: (text: string, values: unknown[]) => Promise<pg.QueryResult>,
  cipher: ContentCipher,
  keysFor: (appKey: string) => Promise<void>,
): RoomStore {
  return {
    async createRoom(rec, owner, ttlMs, block) {
      await keysFor(rec.appKey);
      const attrs = cipher.sealRoomAttrs(rec.appKey, rec.roomId, rec.state.attrs);
      const { rowCount } = await query(
        `INSERT INTO rooms (app_key, room_id, owner, epoch, lease_until, seq_hw, created_at, state, attrs)
         VALUES ($1, $2, $3, 1, ${NOW} + $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [rec.appKey, rec.roomId, owner, ttlMs, block, rec.createdAt, roomStateText(rec.state), attrs],
      );
      return rowCount === 1 ? { owner, epoch: 1, seqBase: 0, seqHw: block } : undefined;
    },
    async getRoom(appKey, roomId) {
      await keysFor(appKey);
      const { rows } = await query(`SELECT *, ${NOW} AS now_ms FROM rooms WHERE app_key = $1 AND room_id = $2`, [appKey, roomId]);
      const r = rows[0] as Record<string, unknown> | undefined;
      return r === undefined ? undefined : toRoomRow(r, cipher, Number(r.now_ms));
    },
    async claimRoom(appKey, roomId, owner, ttlMs, block) {
      const { rows } = await query(
        `UPDATE rooms SET owner = $3, epoch = epoch + 1, lease_until = ${NOW} + $4, seq_hw = seq_hw + $5
         WHERE app_key = $1 AND room_id = $2 AND lease_until <= ${NOW} RETURNING epoch, seq_hw`,
        [appKey, roomId, owner, ttlMs, block],
      );
      const r = rows[0] as { epoch: string | number; seq_hw: string | number } | undefined;
      if (r === undefined) return undefined;
      const seqHw = Number(r.seq_hw);
      return { owner, epoch: Number(r.epoch), seqBase: seqHw - block, seqHw };
    },
    async renewRooms(owner, ttlMs, rooms) {
      if (rooms.length === 0) return [];
      // One statement for every room of the node, however many it owns.
      const { rows } = await query(
        `UPDATE rooms r SET lease_until = ${NOW} + $2, seq_hw = greatest(r.seq_hw, x.hw)
         FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS x(a, id, epoch, hw)
         WHERE r.app_key = x.a AND r.room_id = x.id AND r.owner = $1 AND r.epoch = x.epoch
         RETURNING r.app_key, r.room_id`,
        [owner, ttlMs, rooms.map((x) => x.appKey), rooms.map((x) => x.roomId), rooms.map((x) => x.epoch), rooms.map((x) => x.seqHw)],
      );
      return rows.map((r: Record<string, unknown>) => ({ appKey: r.app_key as string, roomId: r.room_id as string }));
    },
    async saveRoomState(appKey, roomId, epoch, state) {
      await keysFor(appKey);
      const { rowCount } = await query('UPDATE rooms SET state = $4, attrs = $5 WHERE app_key = $1 AND room_id = $2 AND epoch = $3', [
        appKey,
        roomId,
        epoch,
        roomStateText(state),
        cipher.sealRoomAttrs(appKey, roomId, state.attrs),
      ]);
      return rowCount === 1;
    },
    async deleteRoom(appKey, roomId, epoch) {
      const { rowCount } = await query('DELETE FROM rooms WHERE app_key = $1 AND room_id = $2 AND epoch = $3', [appKey, roomId, epoch]);
      return rowCount === 1;
    },
    async releaseRooms(owner) {
      await query('UPDATE rooms SET lease_until = 0 WHERE owner = $1', [owner]);
    },
  };
}
