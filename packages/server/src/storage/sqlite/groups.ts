import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { GroupRecord } from '../port.ts';
import { groupState, type GroupRow, type GroupState } from '../group-state.ts';
import { GroupMembersCache, isCurrent } from '../group-members-cache.ts';
import { toMember } from '../rows.ts';

/** Group statements of the SQLite store, prepared once. */
export type GroupStatements = ReturnType<typeof prepareGroupStatements>;

/** Prepares the group statements on `db`. */
export function prepareGroupStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    getGroup: p('SELECT * FROM groups WHERE app_key = ? AND group_id = ?'),
    msgIdAt: p('SELECT msg_id FROM messages WHERE app_key = ? AND conv_id = ? AND seq = ?'),
    /** Members kept between batches of this store (see group-members-cache.ts). */
    cache: new GroupMembersCache(),
    countMembers: p('SELECT count(*) AS n FROM group_members WHERE app_key = ? AND group_id = ? AND left_seq = 0'),
    getMember: p('SELECT * FROM group_members WHERE app_key = ? AND group_id = ? AND user_id = ?'),
    currentMembers: p('SELECT * FROM group_members WHERE app_key = ? AND group_id = ? AND left_seq = 0'),
    pageMembers: p(
      `SELECT * FROM group_members WHERE app_key = ? AND group_id = ? AND left_seq = 0 AND user_id > ?
       ORDER BY user_id LIMIT ?`,
    ),
    upsertGroup: p(
      `INSERT INTO groups (app_key, group_id, owner_id, name, extra, history_visible, mute_all, exempt, dismissed, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET owner_id = excluded.owner_id, name = excluded.name, extra = excluded.extra,
         history_visible = excluded.history_visible, mute_all = excluded.mute_all, exempt = excluded.exempt,
         dismissed = excluded.dismissed`,
    ),
    upsertMember: p(
      `INSERT INTO group_members (app_key, group_id, user_id, role, joined_seq, left_seq, muted_until) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET role = excluded.role, joined_seq = excluded.joined_seq, left_seq = excluded.left_seq,
         muted_until = excluded.muted_until`,
    ),
  };
}

export { toMember };

/** Maps a `groups` row. */
export function toGroupRow(row: Record<string, unknown>): GroupRow {
  return {
    groupId: row.group_id as string,
    ownerId: row.owner_id as string,
    name: row.name as string,
    extra: row.extra as string,
    historyVisible: row.history_visible === 1,
    muteAll: row.mute_all === 1,
    exempt: JSON.parse(row.exempt as string) as string[],
    dismissed: row.dismissed === 1,
    createdAt: row.created_at as number,
  };
}

/** Reads a group with its member count. */
export function readGroup(s: GroupStatements, appKey: string, groupId: string): GroupRecord | undefined {
  const row = s.getGroup.get(appKey, groupId);
  if (row === undefined) return undefined;
  const n = s.countMembers.get(appKey, groupId)!.n as number;
  return { appKey, ...toGroupRow(row), memberCount: n };
}

/**
 * Loads a group's state for a batch (inside the write transaction), its
 * members from the cache when they are current at `maxSeq`, the group
 * conversation's newest seq read under the lock. Returns the msgId at
 * `maxSeq` too: the version the loaded members are current at.
 */
export function loadGroupState(s: GroupStatements, appKey: string, groupId: string, maxSeq: number): { state: GroupState; msgId: string | undefined } {
  const row = s.getGroup.get(appKey, groupId);
  const groupRow = row === undefined ? undefined : toGroupRow(row);
  const cached = s.cache.take(appKey, groupId);
  const msgId = maxSeq > 0 ? (s.msgIdAt.get(appKey, `g:${groupId}`, maxSeq)?.msg_id as string | undefined) : undefined;
  if (isCurrent(cached, maxSeq, msgId)) return { state: { appKey, groupId, row: groupRow, rowDirty: false, members: cached.members, dirty: new Map() }, msgId };
  return { state: groupState(appKey, groupId, groupRow, s.currentMembers.all(appKey, groupId).map(toMember)), msgId };
}

/** Writes back what a batch changed in a group. */
export function writeGroupState(s: GroupStatements, st: GroupState): void {
  const r = st.row;
  if (st.rowDirty && r) {
    s.upsertGroup.run(st.appKey, st.groupId, r.ownerId, r.name, r.extra, r.historyVisible ? 1 : 0, r.muteAll ? 1 : 0, JSON.stringify(r.exempt), r.dismissed ? 1 : 0, r.createdAt);
  }
  for (const m of st.dirty.values()) s.upsertMember.run(st.appKey, st.groupId, m.userId, m.role, m.joinedSeq, m.leftSeq, m.mutedUntil);
}
