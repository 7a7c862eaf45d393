import type { Lane } from './lanes.ts';
import { path, type Transport } from './transport.ts';
import type { GroupChange, GroupInfo, GroupMember } from './types.ts';

/** Who acts: named in the stream entry (the app itself, `@system`, when omitted). */
interface By {
  readonly by?: string;
}

const by = (o: By | undefined): { by?: string } => (o?.by !== undefined ? { by: o.by } : {});

/**
 * `client.groups`: the group operations of the server API, run with owner
 * rights. Changes of one group run through its lane (`g:<id>`), in call
 * order, together with `messages.sendGroup`.
 */
export function groupCalls(t: Transport, lane: Lane) {
  const change = (
    groupId: string,
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    route: string,
    body?: unknown,
  ): Promise<GroupChange> =>
    lane(`g:${groupId}`, () =>
      t.request<GroupChange>({ method, path: route, ...(body !== undefined ? { body } : {}) }),
    );
  return {
    /** Creates a group owned by `owner` (entry `tidings.group.created` at seq 1). */
    create: (
      groupId: string,
      g: { owner: string; name?: string; extra?: string; members?: string[]; historyVisible?: boolean } & By,
    ): Promise<GroupChange> => change(groupId, 'POST', '/v1/groups', { groupId, ...g }),
    /** Settings and member count. */
    info: (groupId: string): Promise<GroupInfo> => t.request({ method: 'GET', path: path`/v1/groups/${groupId}` }),
    /** Changes name, extra or history visibility. */
    update: (
      groupId: string,
      set: { name?: string; extra?: string; historyVisible?: boolean } & By,
    ): Promise<GroupChange> => change(groupId, 'PATCH', path`/v1/groups/${groupId}`, set),
    /** Dismisses the group: nobody can send any more; the history stays readable. */
    dismiss: (groupId: string): Promise<GroupChange> => change(groupId, 'DELETE', path`/v1/groups/${groupId}`),
    /** One page of current members by user id; pass `next` as `after` for the following page (empty at the end). */
    members: (
      groupId: string,
      page: { after?: string; limit?: number } = {},
    ): Promise<{ members: GroupMember[]; next: string }> =>
      t.request({
        method: 'GET',
        path: path`/v1/groups/${groupId}/members`,
        query: { after: page.after, limit: page.limit },
      }),
    /** Adds members (at most 500 a call). */
    add: (groupId: string, members: string[], o?: By): Promise<GroupChange> =>
      change(groupId, 'POST', path`/v1/groups/${groupId}/members`, { members, ...by(o) }),
    /** Removes members (at most 500 a call). */
    remove: (groupId: string, members: string[], o?: By): Promise<GroupChange> =>
      change(groupId, 'POST', path`/v1/groups/${groupId}/members/remove`, { members, ...by(o) }),
    /** The member leaves (entry `tidings.group.member_left`, by them); the owner must transfer first. */
    leave: (groupId: string, userId: string): Promise<GroupChange> =>
      change(groupId, 'POST', path`/v1/groups/${groupId}/members/${userId}/leave`, {}),
    /** Makes member `to` the owner; the old owner becomes an admin. */
    transfer: (groupId: string, to: string, o?: By): Promise<GroupChange> =>
      change(groupId, 'POST', path`/v1/groups/${groupId}/transfer`, { to, ...by(o) }),
    /** Sets a member's role. */
    setRole: (groupId: string, userId: string, role: 'admin' | 'member', o?: By): Promise<GroupChange> =>
      change(groupId, 'PUT', path`/v1/groups/${groupId}/members/${userId}/role`, { role, ...by(o) }),
    /** Mutes a member until `until` (ms since the epoch; 0 unmutes). */
    mute: (groupId: string, userId: string, until: number, o?: By): Promise<GroupChange> =>
      change(groupId, 'PUT', path`/v1/groups/${groupId}/members/${userId}/mute`, { until, ...by(o) }),
    /** Mutes (or unmutes) every plain member except `exempt`; owner and admins are never muted by it. */
    muteAll: (groupId: string, on: boolean, o: { exempt?: string[] } & By = {}): Promise<GroupChange> =>
      change(groupId, 'PUT', path`/v1/groups/${groupId}/mute`, {
        on,
        ...(o.exempt ? { exempt: o.exempt } : {}),
        ...by(o),
      }),
  };
}
