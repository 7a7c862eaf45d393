import type { PoolClient } from 'pg';
import type { GroupMember, GroupRole } from '../port.ts';
import { groupState, type GroupRow, type GroupState } from '../group-state.ts';
import type { Statement } from './sql.ts';
import { toMember } from '../rows.ts';
import { isCurrent, type CachedMembers } from '../group-members-cache.ts';

const st = (name: string, text: string): Statement => ({ name: `tidings.groups.${name}`, text });

/** Group statements; writes are set-based (one statement per batch whatever the member count). */
export const GROUP_SQL = {
  getGroup: st(
    'getGroup',
    `SELECT g.*, (SELECT count(*) FROM group_members m WHERE m.app_key = g.app_key AND m.group_id = g.group_id AND m.left_seq = 0) AS n
     FROM groups g WHERE g.app_key = $1 AND g.group_id = $2`,
  ),
  getMember: st('getMember', 'SELECT * FROM group_members WHERE app_key = $1 AND group_id = $2 AND user_id = $3'),
  pageMembers: st(
    'pageMembers',
    `SELECT * FROM group_members WHERE app_key = $1 AND group_id = $2 AND left_seq = 0 AND user_id > $3
     ORDER BY user_id LIMIT $4`,
  ),
  /**
   * Every group of the batch with its current members, in one round trip. The
   * LATERAL subqueries fix the plan to a primary-key probe per group (a join
   * may be planned as a hash join over a scan of the whole table). Per group
   * also the msgId at `s`, the conversation's max seq read under its row lock;
   * the members are left out (NULL) when that msgId is `c`, the one the
   * caller's cached members are current at (group-members-cache.ts).
   */
  loadStates: st(
    'loadStates',
    `SELECT u.a AS q_app, u.g AS q_group, g.owner_id, g.name, g.extra, g.history_visible, g.mute_all, g.exempt, g.dismissed,
            g.created_at, g.group_id, v.msg_id AS at_msg_id,
            CASE WHEN v.msg_id IS NOT NULL AND v.msg_id = u.c THEN NULL
                 ELSE coalesce((SELECT json_agg(json_build_array(m.user_id, m.role, m.joined_seq, m.muted_until))
                                FROM group_members m WHERE m.app_key = u.a AND m.group_id = u.g AND m.left_seq = 0), '[]') END AS members
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(a, g, s, c)
     LEFT JOIN LATERAL (SELECT * FROM groups WHERE app_key = u.a AND group_id = u.g OFFSET 0) g ON true
     LEFT JOIN LATERAL (SELECT msg_id FROM messages WHERE app_key = u.a AND conv_id = 'g:' || u.g AND seq = u.s OFFSET 0) v ON true`,
  ),
  upsertGroups: st(
    'upsertGroups',
    `INSERT INTO groups AS t (app_key, group_id, owner_id, name, extra, history_visible, mute_all, exempt, dismissed, created_at)
     SELECT a, g, o, n, e, hv, ma, ARRAY(SELECT json_array_elements_text(x::json)), d, c
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[], $8::text[],
                 $9::boolean[], $10::bigint[]) AS u(a, g, o, n, e, hv, ma, x, d, c)
     ON CONFLICT (app_key, group_id) DO UPDATE SET owner_id = excluded.owner_id, name = excluded.name, extra = excluded.extra,
       history_visible = excluded.history_visible, mute_all = excluded.mute_all, exempt = excluded.exempt,
       dismissed = excluded.dismissed`,
  ),
  upsertMembers: st(
    'upsertMembers',
    `INSERT INTO group_members AS t (app_key, group_id, user_id, role, joined_seq, left_seq, muted_until)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
     ON CONFLICT (app_key, group_id, user_id) DO UPDATE SET role = excluded.role, joined_seq = excluded.joined_seq,
       left_seq = excluded.left_seq, muted_until = excluded.muted_until`,
  ),
} as const;

export { toMember };

/** Maps a `groups` row. */
export function toGroupRow(row: Record<string, unknown>): GroupRow {
  return {
    groupId: row.group_id as string,
    ownerId: row.owner_id as string,
    name: row.name as string,
    extra: row.extra as string,
    historyVisible: row.history_visible as boolean,
    muteAll: row.mute_all as boolean,
    exempt: row.exempt as string[],
    dismissed: row.dismissed as boolean,
    createdAt: row.created_at as number,
  };
}

const run = (client: PoolClient, s: Statement, values: unknown[]) => client.query({ ...s, values });

/** A group a batch loads: its conversation's max seq (read under the lock) and what the cache held for it. */
export interface GroupToLoad {
  readonly appKey: string;
  readonly groupId: string;
  readonly seq: number;
  readonly cached: CachedMembers | undefined;
}

/**
 * Loads the states of `groups`; the caller holds their conversations' row
 * locks. Cached members are used when current at the group's seq, else the
 * members are read. Each state comes with the msgId at that seq (the version
 * its members are current at).
 */
export async function loadGroupStates(client: PoolClient, groups: readonly GroupToLoad[]): Promise<Array<{ state: GroupState; msgId: string | undefined }>> {
  if (groups.length === 0) return [];
  const candidate = (x: GroupToLoad): string => (x.cached !== undefined && x.cached.seq === x.seq ? x.cached.msgId : '');
  const { rows } = await run(client, GROUP_SQL.loadStates, [groups.map((x) => x.appKey), groups.map((x) => x.groupId), groups.map((x) => x.seq), groups.map(candidate)]);
  const asked = new Map(groups.map((x) => [x.appKey + '\u0000' + x.groupId, x]));
  return rows.map((r) => {
    const appKey = r.q_app as string;
    const groupId = r.q_group as string;
    const row = r.group_id == null ? undefined : toGroupRow(r);
    const msgId = (r.at_msg_id as string | null) ?? undefined;
    const x = asked.get(appKey + '\u0000' + groupId)!;
    if (r.members === null) {
      // Left out only when the msgId at the locked max seq is the cached one: the cached members are current.
      if (!isCurrent(x.cached, x.seq, msgId)) throw new Error(`group ${groupId}: members left out but the cache is not current`);
      return { state: { appKey, groupId, row, rowDirty: false, members: x.cached.members, dirty: new Map() }, msgId };
    }
    const members = ((r.members ?? []) as Array<[string, GroupRole, number, number]>).map(
      ([userId, role, joinedSeq, mutedUntil]): GroupMember => ({ userId, role, joinedSeq: Number(joinedSeq), leftSeq: 0, mutedUntil: Number(mutedUntil) }),
    );
    return { state: groupState(appKey, groupId, row, members), msgId };
  });
}

/** Writes back what a batch changed in its groups: at most two statements. */
export async function writeGroupStates(client: PoolClient, states: readonly GroupState[]): Promise<void> {
  const rows = states.filter((x) => x.rowDirty && x.row);
  if (rows.length > 0) {
    await run(client, GROUP_SQL.upsertGroups, [
      rows.map((x) => x.appKey),
      rows.map((x) => x.groupId),
      rows.map((x) => x.row!.ownerId),
      rows.map((x) => x.row!.name),
      rows.map((x) => x.row!.extra),
      rows.map((x) => x.row!.historyVisible),
      rows.map((x) => x.row!.muteAll),
      rows.map((x) => JSON.stringify(x.row!.exempt)),
      rows.map((x) => x.row!.dismissed),
      rows.map((x) => x.row!.createdAt),
    ]);
  }
  const members = states.flatMap((x) => [...x.dirty.values()].map((m) => ({ x, m })));
  if (members.length === 0) return;
  await run(client, GROUP_SQL.upsertMembers, [
    members.map((r) => r.x.appKey),
    members.map((r) => r.x.groupId),
    members.map((r) => r.m.userId),
    members.map((r) => r.m.role),
    members.map((r) => r.m.joinedSeq),
    members.map((r) => r.m.leftSeq),
    members.map((r) => r.m.mutedUntil),
  ]);
}
