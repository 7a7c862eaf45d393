import { randomUUID } from 'node:crypto';
import { isValidId, type ErrorCode } from '@tidings/protocol';
import type { GroupChange, GroupMember, GroupRecord, GroupRole, Store } from '../storage/port.ts';
import type { SendPath } from './send-path.ts';
import { createLanes } from '@tidings/server-sdk';

/** Who asks: a user over the SDK, or the app's backend over the server API (acts with owner rights). */
export interface GroupActor {
  readonly userId: string;
  readonly api: boolean;
}

/** The answer to a group operation. */
export type GroupOpResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly code: ErrorCode; readonly message?: string };

/** Most users one add or remove may name (its stream entry lists them all). */
export const MAX_MEMBERS_PER_OP = 500;
/** Sender device of the stream entries that group operations write. */
export const GROUP_DEVICE = '~group';
/** Prefix of the stream entry types of group operations: `tidings.group.<op>`. */
export const GROUP_TYPE_PREFIX = 'tidings.group.';

type Args = Record<string, unknown>;
const fail = (code: ErrorCode, message?: string): GroupOpResult => ({ ok: false, code, ...(message ? { message } : {}) });
const rank: Record<GroupRole, number> = { owner: 3, admin: 2, member: 1 };

function ids(v: unknown, field: string): string[] | string {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_MEMBERS_PER_OP) return `${field} must be 1-${MAX_MEMBERS_PER_OP} user ids`;
  if (!v.every((x) => typeof x === 'string' && isValidId(x))) return `${field} must hold valid user ids`;
  return [...new Set(v as string[])];
}
const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length <= max ? v : undefined);
const view = (g: GroupRecord) => {
  const { appKey: _appKey, ...rest } = g;
  return rest as unknown as Record<string, unknown>;
};

/**
 * Group management: create, dismiss, add/remove members, leave, transfer the
 * owner, roles, mutes, info and member pages. Every change is a stream entry
 * of its own type (`tidings.group.<op>`, JSON content naming who did what),
 * committed through the shared send path with the membership change applied
 * inside the same commit, so every member's devices reach the same state in
 * the same seq order. Operations on one group run one at a time (a lane per
 * group), so a permission check and the change it guards cannot interleave
 * with another operation on that group on this node.
 */
export function createGroups(o: { store: Store; sends: SendPath; now: () => number }) {
  const lane = createLanes();

  async function commit(appKey: string, groupId: string, actor: GroupActor, op: string, change: GroupChange, detail: Args): Promise<GroupOpResult> {
    const r = await o.sends.sendAsync({
      appKey,
      convId: `g:${groupId}`,
      kind: 'group',
      members: [],
      senderId: actor.userId,
      senderDevice: GROUP_DEVICE,
      clientMsgId: randomUUID(),
      senderSeq: 0,
      type: GROUP_TYPE_PREFIX + op,
      content: new TextEncoder().encode(JSON.stringify({ by: actor.userId, ...detail })),
      flags: 0,
      group: { check: 'none', change },
    });
    return r.ok ? { ok: true, value: { groupId, seq: r.message.seq } } : fail(r.code, r.message);
  }

  async function run(appKey: string, actor: GroupActor, groupId: string, op: string, a: Args): Promise<GroupOpResult> {
    if (!isValidId(groupId)) return fail('conv.invalid_id');
    const group = await o.store.getGroup(appKey, groupId);
    if (op === 'create') {
      if (group) return fail('conv.exists');
      const owner = actor.api ? a.owner : actor.userId;
      if (typeof owner !== 'string' || !isValidId(owner)) return fail('protocol.invalid_request', 'owner must be a user id');
      const members = a.members === undefined ? [] : ids(a.members, 'members');
      if (typeof members === 'string') return fail('protocol.invalid_request', members);
      const name = str(a.name ?? '', 256);
      const extra = str(a.extra ?? '', 4096);
      if (name === undefined || extra === undefined) return fail('protocol.invalid_request', 'name (<= 256) and extra (<= 4096) must be strings');
      const add = [{ userId: owner, role: 'owner' as const }, ...members.filter((u) => u !== owner).map((userId) => ({ userId, role: 'member' as const }))];
      const historyVisible = a.historyVisible === true;
      const r = await commit(appKey, groupId, actor, 'created', { create: { ownerId: owner, name, extra, historyVisible }, add }, { owner, name, members: add.map((x) => x.userId), historyVisible });
      return r;
    }
    if (!group || group.dismissed) return fail('conv.not_found');
    const me = actor.api ? undefined : await o.store.getGroupMember(appKey, groupId, actor.userId);
    if (!actor.api && (!me || me.leftSeq !== 0)) return fail('send.not_member');
    const myRank = actor.api ? rank.owner + 1 : rank[me!.role];
    const need = (r: GroupRole): GroupOpResult | undefined => (myRank >= rank[r] ? undefined : fail('auth.forbidden', `needs the ${r} role`));
    const current = async (userId: string): Promise<GroupMember | undefined> => {
      const m = await o.store.getGroupMember(appKey, groupId, userId);
      return m && m.leftSeq === 0 ? m : undefined;
    };

    switch (op) {
      case 'info':
        return { ok: true, value: view(group) };
      case 'members': {
        const after = typeof a.after === 'string' ? a.after : '';
        const limit = Math.min(Math.max(Number(a.limit) || 100, 1), 500);
        const page = await o.store.listGroupMembers(appKey, groupId, after, limit);
        return { ok: true, value: { members: page, next: page.length === limit ? page.at(-1)!.userId : '' } };
      }
      case 'dismiss':
        return need('owner') ?? commit(appKey, groupId, actor, 'dismissed', { set: { dismissed: true } }, {});
      case 'update': {
        const denied = need('admin');
        if (denied) return denied;
        const name = a.name === undefined ? undefined : str(a.name, 256);
        const extra = a.extra === undefined ? undefined : str(a.extra, 4096);
        if ((a.name !== undefined && name === undefined) || (a.extra !== undefined && extra === undefined)) return fail('protocol.invalid_request', 'name (<= 256) and extra (<= 4096) must be strings');
        const set = { ...(name !== undefined ? { name } : {}), ...(extra !== undefined ? { extra } : {}), ...(typeof a.historyVisible === 'boolean' ? { historyVisible: a.historyVisible } : {}) };
        return commit(appKey, groupId, actor, 'updated', { set }, set);
      }
      case 'add': {
        const denied = need('admin');
        if (denied) return denied;
        const users = ids(a.members, 'members');
        if (typeof users === 'string') return fail('protocol.invalid_request', users);
        const fresh = [];
        for (const u of users) if (!(await current(u))) fresh.push(u);
        if (fresh.length === 0) return { ok: true, value: { groupId, seq: 0, added: [] } };
        return commit(appKey, groupId, actor, 'members_added', { add: fresh.map((userId) => ({ userId, role: 'member' as const })) }, { members: fresh });
      }
      case 'remove': {
        const denied = need('admin');
        if (denied) return denied;
        const users = ids(a.members, 'members');
        if (typeof users === 'string') return fail('protocol.invalid_request', users);
        const gone = [];
        for (const u of users) {
          const m = await current(u);
          if (!m) continue;
          if (rank[m.role] >= myRank) return fail('auth.forbidden', `cannot remove ${u} (${m.role})`);
          gone.push(u);
        }
        if (gone.length === 0) return { ok: true, value: { groupId, seq: 0 } };
        return commit(appKey, groupId, actor, 'members_removed', { remove: gone }, { members: gone });
      }
      case 'leave':
        if (actor.api) return fail('protocol.invalid_request', 'leave is for members; the API removes');
        if (me!.role === 'owner') return fail('auth.forbidden', 'the owner must transfer the group before leaving');
        return commit(appKey, groupId, actor, 'member_left', { remove: [actor.userId] }, {});
      case 'transfer': {
        const denied = need('owner');
        if (denied) return denied;
        const to = typeof a.to === 'string' ? await current(a.to) : undefined;
        if (!to) return fail('send.not_member', 'the new owner must be a member');
        return commit(appKey, groupId, actor, 'owner_transferred', { set: { ownerId: to.userId }, roles: [{ userId: group.ownerId, role: 'admin' }, { userId: to.userId, role: 'owner' }] }, { from: group.ownerId, to: to.userId });
      }
      case 'role': {
        const denied = need('owner');
        if (denied) return denied;
        const target = typeof a.userId === 'string' ? await current(a.userId) : undefined;
        if (!target) return fail('send.not_member', 'not a member');
        if (a.role !== 'admin' && a.role !== 'member') return fail('protocol.invalid_request', 'role must be admin or member');
        if (target.role === 'owner') return fail('auth.forbidden', 'transfer the group to change the owner');
        return commit(appKey, groupId, actor, 'role_changed', { roles: [{ userId: target.userId, role: a.role }] }, { userId: target.userId, role: a.role });
      }
      case 'mute': {
        const denied = need('admin');
        if (denied) return denied;
        const target = typeof a.userId === 'string' ? await current(a.userId) : undefined;
        if (!target) return fail('send.not_member', 'not a member');
        if (rank[target.role] >= myRank) return fail('auth.forbidden', `cannot mute ${target.userId} (${target.role})`);
        const until = Number(a.until ?? 0);
        if (!Number.isSafeInteger(until) || until < 0) return fail('protocol.invalid_request', 'until must be ms since the epoch (0 unmutes)');
        return commit(appKey, groupId, actor, until > o.now() ? 'member_muted' : 'member_unmuted', { mute: [{ userId: target.userId, until }] }, { userId: target.userId, until });
      }
      case 'mute_all': {
        const denied = need('admin');
        if (denied) return denied;
        if (typeof a.on !== 'boolean') return fail('protocol.invalid_request', 'on must be a boolean');
        const exempt = a.exempt === undefined ? group.exempt : ids(a.exempt, 'exempt');
        if (typeof exempt === 'string' && a.exempt !== undefined && (a.exempt as unknown[]).length !== 0) return fail('protocol.invalid_request', exempt);
        const list = typeof exempt === 'string' ? [] : [...exempt];
        return commit(appKey, groupId, actor, a.on ? 'muted_all' : 'unmuted_all', { set: { muteAll: a.on, exempt: list } }, { on: a.on, exempt: list });
      }
      default:
        return fail('protocol.invalid_request', `unknown group op ${op}`);
    }
  }

  return {
    /** Runs one operation on a group, serialised with the group's other operations. */
    run(appKey: string, actor: GroupActor, groupId: string, op: string, args: Args = {}): Promise<GroupOpResult> {
      return lane(`${appKey}\u0000${groupId}`, () => run(appKey, actor, groupId, op, args));
    },

    /**
     * Takes a deleted user out of every group they are in, as the app's
     * backend (`by`): a member is removed (`members_removed`); an owner first
     * hands the group to its first admin, else its first member (by user id),
     * or the group is dismissed when nobody else is left. The groups are found
     * through the user's change index (every membership change writes a pointer
     * to each member). Idempotent: groups the user already left are skipped, so
     * a retried deletion finishes the job. Returns the groups changed.
     */
    async removeUser(appKey: string, userId: string, by: string): Promise<string[]> {
      const actor = { userId: by, api: true };
      const changed: string[] = [];
      for (let after = 0; ; ) {
        const page = await o.store.changesSince(appKey, userId, after, 500);
        for (const c of page) {
          if (!c.convId.startsWith('g:')) continue;
          const groupId = c.convId.slice(2);
          const r = await lane(`${appKey}\u0000${groupId}`, () => leaveForGood(appKey, groupId, userId, actor));
          if (r) changed.push(groupId);
        }
        if (page.length < 500) return changed;
        after = page.at(-1)!.version;
      }
    },
  };

  /** One group of {@link removeUser}; true when it changed. Throws when a step fails, so the deletion can be retried. */
  async function leaveForGood(appKey: string, groupId: string, userId: string, actor: GroupActor): Promise<boolean> {
    const group = await o.store.getGroup(appKey, groupId);
    const m = group && !group.dismissed ? await o.store.getGroupMember(appKey, groupId, userId) : undefined;
    if (!m || m.leftSeq !== 0) return false;
    const must = (r: GroupOpResult): void => {
      if (!r.ok) throw new Error(`group ${groupId}: ${r.code}${r.message ? ` (${r.message})` : ''}`);
    };
    if (m.role === 'owner') {
      let heir: GroupMember | undefined;
      for (let after = ''; ; ) {
        const page = await o.store.listGroupMembers(appKey, groupId, after, 500);
        for (const x of page) {
          if (x.leftSeq !== 0 || x.userId === userId) continue;
          if (x.role === 'admin') {
            heir = x;
            break;
          }
          heir ??= x;
        }
        if (heir?.role === 'admin' || page.length < 500) break;
        after = page.at(-1)!.userId;
      }
      if (!heir) {
        must(await run(appKey, actor, groupId, 'dismiss', {}));
        return true;
      }
      must(await run(appKey, actor, groupId, 'transfer', { to: heir.userId }));
    }
    must(await run(appKey, actor, groupId, 'remove', { members: [userId] }));
    return true;
  }
}

/** The group service. */
export type Groups = ReturnType<typeof createGroups>;
