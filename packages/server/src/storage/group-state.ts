import type { GroupChange, GroupMember, GroupSendRules } from './port.ts';

/**
 * Group rules both storage adapters apply inside a commit, kept pure so they
 * decide the same way. An adapter loads a {@link GroupState} once per batch
 * and group (under its write lock), runs every send of the batch through
 * {@link checkGroupSend} and {@link applyGroupChange}, then writes back the
 * group row when `rowDirty` and the member rows in `dirty`.
 */

/** The group row without the computed member count. */
export interface GroupRow {
  readonly groupId: string;
  ownerId: string;
  name: string;
  extra: string;
  historyVisible: boolean;
  muteAll: boolean;
  exempt: readonly string[];
  dismissed: boolean;
  readonly createdAt: number;
}

/** One group's state during a batch. */
export interface GroupState {
  readonly appKey: string;
  readonly groupId: string;
  row: GroupRow | undefined;
  rowDirty: boolean;
  /** Current members, by user id. */
  readonly members: Map<string, GroupMember>;
  /** Member rows to write (current and former), by user id. */
  readonly dirty: Map<string, GroupMember>;
}

/** The group id of a `g:<id>` conversation id. */
export function groupIdOf(convId: string): string {
  return convId.slice(2);
}

/** A fresh state from loaded rows. */
export function groupState(appKey: string, groupId: string, row: GroupRow | undefined, members: Iterable<GroupMember>): GroupState {
  const m = new Map<string, GroupMember>();
  for (const x of members) if (x.leftSeq === 0) m.set(x.userId, x);
  return { appKey, groupId, row, rowDirty: false, members: m, dirty: new Map() };
}

/** Why a send to the group is refused, if it is. */
export function checkGroupSend(
  st: GroupState,
  rules: GroupSendRules | undefined,
  senderId: string,
  ts: number,
): 'send.not_member' | 'send.muted' | 'conv.not_found' | undefined {
  if (rules?.check === 'none') return undefined;
  if (!st.row || st.row.dismissed) return 'conv.not_found';
  const member = st.members.get(senderId);
  if (!member) return 'send.not_member';
  if (member.mutedUntil > ts) return 'send.muted';
  if (st.row.muteAll && member.role === 'member' && !st.row.exempt.includes(senderId)) return 'send.muted';
  return undefined;
}

const put = (st: GroupState, m: GroupMember): void => {
  st.dirty.set(m.userId, m);
  if (m.leftSeq === 0) st.members.set(m.userId, m);
  else st.members.delete(m.userId);
};

/**
 * Applies `change`, announced by the stream entry `seq`, and returns the
 * users to push that entry to: the members after the change plus the ones it
 * removed (so they learn of their removal and then hear nothing more).
 */
export function applyGroupChange(st: GroupState, change: GroupChange | undefined, seq: number, ts: number): string[] {
  const removed: string[] = [];
  if (change) {
    if (change.create && !st.row) {
      const c = change.create;
      st.row = { groupId: st.groupId, ownerId: c.ownerId, name: c.name, extra: c.extra, historyVisible: c.historyVisible, muteAll: false, exempt: [], dismissed: false, createdAt: ts };
      st.rowDirty = true;
    }
    for (const a of change.add ?? []) {
      const cur = st.members.get(a.userId);
      if (cur) put(st, { ...cur, role: a.role });
      else put(st, { userId: a.userId, role: a.role, joinedSeq: seq, leftSeq: 0, mutedUntil: 0 });
    }
    for (const userId of change.remove ?? []) {
      const cur = st.members.get(userId);
      if (!cur) continue;
      put(st, { ...cur, leftSeq: seq });
      removed.push(userId);
    }
    for (const r of change.roles ?? []) {
      const cur = st.members.get(r.userId);
      if (cur) put(st, { ...cur, role: r.role });
    }
    for (const m of change.mute ?? []) {
      const cur = st.members.get(m.userId);
      if (cur) put(st, { ...cur, mutedUntil: m.until });
    }
    const s = change.set;
    if (s && st.row) {
      const row = st.row;
      if (s.ownerId !== undefined) row.ownerId = s.ownerId;
      if (s.name !== undefined) row.name = s.name;
      if (s.extra !== undefined) row.extra = s.extra;
      if (s.muteAll !== undefined) row.muteAll = s.muteAll;
      if (s.exempt !== undefined) row.exempt = [...s.exempt];
      if (s.historyVisible !== undefined) row.historyVisible = s.historyVisible;
      if (s.dismissed !== undefined) row.dismissed = s.dismissed;
      st.rowDirty = true;
    }
  }
  return [...st.members.keys(), ...removed];
}
