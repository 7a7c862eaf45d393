import type { ErrorCode } from '@tidings/protocol';
import type { Store } from '../storage/port.ts';
import { resolveMembership } from './conversations.ts';

/** The seq range a user may read of a conversation, or why none. */
export type ReadAccess =
  | { readonly ok: true; readonly fromSeq: number; readonly toSeq: number }
  | { readonly ok: false; readonly code: ErrorCode };

const ALL = { ok: true, fromSeq: 1, toSeq: Number.MAX_SAFE_INTEGER } as const;

/**
 * What `userId` may read. Private and system conversations: everything, for
 * their members. Groups: a member reads from the entry that added them (or
 * from 1 when the group's history is visible) and a former member up to the
 * entry that removed them; anyone else nothing.
 */
export async function readAccess(store: Store, appKey: string, convId: string, userId: string): Promise<ReadAccess> {
  const m = resolveMembership(convId, userId);
  if (!m.ok) return { ok: false, code: m.code === 'send.not_member' ? 'auth.forbidden' : m.code };
  if (m.kind !== 'group') return ALL;
  const groupId = convId.slice(2);
  const [group, member] = await Promise.all([store.getGroup(appKey, groupId), store.getGroupMember(appKey, groupId, userId)]);
  if (!group) return { ok: false, code: 'conv.not_found' };
  if (!member) return { ok: false, code: 'auth.forbidden' };
  return {
    ok: true,
    fromSeq: group.historyVisible ? 1 : member.joinedSeq,
    toSeq: member.leftSeq === 0 ? Number.MAX_SAFE_INTEGER : member.leftSeq,
  };
}
