import type { DatabaseSync } from 'node:sqlite';
import type { ContentCipher } from '../content-cipher.ts';
import type { RoomLease, RoomStore } from '../room-port.ts';
import { roomStateText, toRoomRow } from '../room-rows.ts';

/**
 * The room part of the SQLite store. One embedded node owns every room, but
 * the same leases and fencing run here as in a cluster, so both modes share
 * one code path. `use` runs a call unless the store is closed; `keysFor`
 * loads the app's data keys before attributes are sealed or opened.
 */
export function createSqliteRooms(
  db: DatabaseSync,
  cipher: ContentCipher,
  use: <T>(fn: () => T) => Promise<T>,
  keysFor: (appKey: string) => Promise<void>,
  now: () => number = Date.now,
): RoomStore {
  const insert = db.prepare(
    `INSERT INTO rooms (app_key, room_id, owner, epoch, lease_until, seq_hw, created_at, state, attrs)
     VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const get = db.prepare('SELECT * FROM rooms WHERE app_key = ? AND room_id = ?');
  const claim = db.prepare(
    `UPDATE rooms SET owner = ?, epoch = epoch + 1, lease_until = ?, seq_hw = seq_hw + ?
     WHERE app_key = ? AND room_id = ? AND lease_until <= ? RETURNING epoch, seq_hw`,
  );
  const renew = db.prepare(
    'UPDATE rooms SET lease_until = ?, seq_hw = max(seq_hw, ?) WHERE app_key = ? AND room_id = ? AND owner = ? AND epoch = ?',
  );
  const save = db.prepare('UPDATE rooms SET state = ?, attrs = ? WHERE app_key = ? AND room_id = ? AND epoch = ?');
  const del = db.prepare('DELETE FROM rooms WHERE app_key = ? AND room_id = ? AND epoch = ?');
  const release = db.prepare('UPDATE rooms SET lease_until = 0 WHERE owner = ?');

  return {
    async createRoom(rec, owner, ttlMs, block) {
      await keysFor(rec.appKey);
      return use(() => {
        const attrs = cipher.sealRoomAttrs(rec.appKey, rec.roomId, rec.state.attrs);
        const done = insert.run(rec.appKey, rec.roomId, owner, now() + ttlMs, block, rec.createdAt, roomStateText(rec.state), attrs);
        return done.changes === 1 ? { owner, epoch: 1, seqBase: 0, seqHw: block } : undefined;
      });
    },
    async getRoom(appKey, roomId) {
      await keysFor(appKey);
      return use(() => {
        const r = get.get(appKey, roomId);
        return r === undefined ? undefined : toRoomRow(r, cipher, now());
      });
    },
    claimRoom: (appKey, roomId, owner, ttlMs, block) =>
      use((): RoomLease | undefined => {
        const t = now();
        const r = claim.get(owner, t + ttlMs, block, appKey, roomId, t);
        if (r === undefined) return undefined;
        const seqHw = Number(r.seq_hw);
        return { owner, epoch: Number(r.epoch), seqBase: seqHw - block, seqHw };
      }),
    renewRooms: (owner, ttlMs, rooms) =>
      use(() => {
        const until = now() + ttlMs;
        db.exec('BEGIN');
        try {
          const held = rooms.filter((x) => renew.run(until, x.seqHw, x.appKey, x.roomId, owner, x.epoch).changes === 1);
          db.exec('COMMIT');
          return held.map((x) => ({ appKey: x.appKey, roomId: x.roomId }));
        } catch (err) {
          if (db.isTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }),
    async saveRoomState(appKey, roomId, epoch, state) {
      await keysFor(appKey);
      return use(() => save.run(roomStateText(state), cipher.sealRoomAttrs(appKey, roomId, state.attrs), appKey, roomId, epoch).changes === 1);
    },
    deleteRoom: (appKey, roomId, epoch) => use(() => del.run(appKey, roomId, epoch).changes === 1),
    releaseRooms: (owner) => use(() => void release.run(owner)),
  };
}
