import type { ConvResult, GroupInfo, GroupMemberInfo } from '@tidings/protocol';

/** Sends one conv operation and resolves with its answer (the client's `call`). */
export type ConvCall = (convId: string, op: string, args?: Record<string, unknown>, afterSeq?: number) => Promise<ConvResult>;

export type { GroupInfo, GroupMemberInfo, GroupRole } from '@tidings/protocol';

/** Options of {@link GroupsManager.create}. */
export interface CreateGroupOptions {
  readonly name?: string;
  readonly extra?: string;
  /** Up to 500 initial members besides the creator (the owner). */
  readonly members?: readonly string[];
  /** True: members added later read the whole history; default false (from their join on). */
  readonly historyVisible?: boolean;
}

/** The conversation id of a group. */
export function groupConvId(groupId: string): string {
  return `g:${groupId}`;
}

/**
 * Group operations of a client (`client.groups`). Each change is committed
 * as an entry of the group's seq stream (type `tidings.group.<op>`), so every
 * member's devices see it through the `message` event, in order; the promise
 * resolves with that entry's seq. Messages to a group are ordinary sends to
 * `groupConvId(id)`. Failures reject with a `TidingsError` (`auth.forbidden`,
 * `send.not_member`, `conv.not_found`, `conv.exists`, ...).
 *
 * @example
 * ```ts
 * await alice.groups.create('team', { name: 'Team', members: ['bob', 'carol'] });
 * await alice.send(groupConvId('team'), { type: 'text', content: 'hi all' });
 * ```
 */
export class GroupsManager {
  private readonly call: ConvCall;

  constructor(call: ConvCall) {
    this.call = call;
  }

  private async op(groupId: string, op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const r = await this.call(groupConvId(groupId), op, args);
    return JSON.parse(r.result) as Record<string, unknown>;
  }

  private async seqOf(groupId: string, op: string, args: Record<string, unknown> = {}): Promise<{ seq: number }> {
    return { seq: Number((await this.op(groupId, op, args)).seq ?? 0) };
  }

  /** Creates a group owned by this user. */
  create(groupId: string, o: CreateGroupOptions = {}): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'create', { ...o });
  }
  /** Dismisses the group (owner). Its history stays readable; nobody can send any more. */
  dismiss(groupId: string): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'dismiss');
  }
  /** Adds up to 500 members (owner, admin). */
  add(groupId: string, members: readonly string[]): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'add', { members });
  }
  /** Removes members of a lower role (owner, admin). They get the removal entry, then nothing more. */
  remove(groupId: string, members: readonly string[]): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'remove', { members });
  }
  /** Leaves the group (not the owner: transfer first). */
  leave(groupId: string): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'leave');
  }
  /** Makes another member the owner (owner); the old owner becomes an admin. */
  transfer(groupId: string, to: string): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'transfer', { to });
  }
  /** Sets a member's role to admin or member (owner). */
  setRole(groupId: string, userId: string, role: 'admin' | 'member'): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'role', { userId, role });
  }
  /** Mutes a member of a lower role until `until` (ms since the epoch); 0 unmutes. */
  mute(groupId: string, userId: string, until: number): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'mute', { userId, until });
  }
  /** Mutes (or unmutes) every plain member except `exempt` (owner, admin). */
  muteAll(groupId: string, on: boolean, exempt?: readonly string[]): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'mute_all', { on, ...(exempt ? { exempt } : {}) });
  }
  /** Changes name, extra or history visibility (owner, admin). */
  update(groupId: string, set: { name?: string; extra?: string; historyVisible?: boolean }): Promise<{ seq: number }> {
    return this.seqOf(groupId, 'update', set);
  }
  /** The group's settings and member count (members). */
  async info(groupId: string): Promise<GroupInfo> {
    return (await this.op(groupId, 'info')) as unknown as GroupInfo;
  }
  /** One page of current members by user id; pass `next` back as `after` until it is empty. */
  async members(groupId: string, after = '', limit = 100): Promise<{ members: GroupMemberInfo[]; next: string }> {
    return (await this.op(groupId, 'members', { after, limit })) as unknown as { members: GroupMemberInfo[]; next: string };
  }
}
