/**
 * The shape of a group and of a member as every side sees it: the server
 * stores it, the server API answers it as JSON, and the client SDK's group
 * operations answer it too. One definition for all of them.
 */

/** Roles in a group. */
export type GroupRole = 'owner' | 'admin' | 'member';

/** A group. */
export interface GroupInfo {
  readonly groupId: string;
  readonly ownerId: string;
  readonly name: string;
  /** App-defined JSON text. */
  readonly extra: string;
  /** True: a member added at seq N reads the whole history; false: from N on. */
  readonly historyVisible: boolean;
  /** True: members with role `member` not in `exempt` cannot send. */
  readonly muteAll: boolean;
  readonly exempt: readonly string[];
  readonly dismissed: boolean;
  readonly createdAt: number;
  /** Current members (computed). */
  readonly memberCount: number;
}

/** One member; a former member keeps its entry with `leftSeq` > 0. */
export interface GroupMemberInfo {
  readonly userId: string;
  readonly role: GroupRole;
  /** Seq of the stream entry that added the member. */
  readonly joinedSeq: number;
  /** Seq of the stream entry that removed the member; 0 while a member. */
  readonly leftSeq: number;
  /** Muted until this instant (ms since the epoch); 0 when not muted. */
  readonly mutedUntil: number;
}
