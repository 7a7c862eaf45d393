import type { GroupMember } from './port.ts';

/**
 * A group's current members kept between commit batches, so a batch to a
 * large group does not re-read thousands of member rows under the write lock.
 *
 * Versioned through storage, never trusted on its own: every membership
 * change is a stored entry of the group's conversation (the only writer of
 * member rows is the commit that stores it), so the members are a function of
 * the conversation's newest entry. An entry records the seq and msgId of the
 * newest message when its members were current; a batch reuses it only when,
 * under the write lock, the conversation's max seq is that seq AND the message
 * at that seq has that msgId (msgIds are unique, so a rolled-back batch, or
 * another node or process that committed to the group meanwhile, even up to
 * the same seq, is always seen). Otherwise the batch reloads from storage.
 *
 * An entry is taken out while a batch uses (and may change) its members and
 * put back only with the version the batch produced, so a batch that fails
 * half way leaves nothing behind to match.
 */
/** One cached member list and the version it is current at. */
export interface CachedMembers {
  /** The conversation's newest seq when the members were current. */
  readonly seq: number;
  /** The msgId of the message at that seq. */
  readonly msgId: string;
  readonly members: Map<string, GroupMember>;
}

export class GroupMembersCache {
  private readonly entries = new Map<string, CachedMembers>();
  private readonly maxMembers: number;
  private held = 0;

  /** At most `maxMembers` member records are kept over all groups; the least recently used groups go first. */
  constructor(maxMembers = 1_000_000) {
    this.maxMembers = maxMembers;
  }

  /**
   * Takes the group's entry out of the cache. The caller uses its members
   * only if {@link isCurrent} holds under the write lock, and puts back what
   * the batch leaves with {@link put}.
   */
  take(appKey: string, groupId: string): CachedMembers | undefined {
    const key = appKey + '\u0000' + groupId;
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.held -= e.members.size;
    return e;
  }

  /** Keeps `members` as current while the newest message of the group's conversation is `seq` / `msgId`. */
  put(appKey: string, groupId: string, seq: number, msgId: string, members: Map<string, GroupMember>): void {
    const key = appKey + '\u0000' + groupId;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.held -= old.members.size;
    }
    if (seq <= 0 || msgId === '' || members.size > this.maxMembers) return;
    this.entries.set(key, { seq, msgId, members });
    this.held += members.size;
    for (const [k, e] of this.entries) {
      if (this.held <= this.maxMembers) break;
      this.entries.delete(k);
      this.held -= e.members.size;
    }
  }
}

/** True when `e` is current: the conversation's max seq (read under the write lock) and the msgId stored at it are the entry's. */
export function isCurrent(
  e: CachedMembers | undefined,
  maxSeq: number,
  msgIdAtMaxSeq: string | undefined,
): e is CachedMembers {
  return e !== undefined && e.seq === maxSeq && e.msgId === msgIdAtMaxSeq;
}
