import type { ConversationKind, GroupInfo, GroupMemberInfo, GroupRole } from '@tidings/protocol';
import type { RoomStore } from './room-port.ts';

/**
 * The storage port: everything Tidings keeps durably. Two adapters implement
 * it (SQLite for the embedded mode, PostgreSQL for the cluster) and both pass
 * `conformance.ts`. Numbers are plain JS numbers (seqs and versions stay far
 * below 2^53).
 */

/** Bytes a message counts for beyond its content against a range read's `maxBytes` (its ids, numbers, framing). */
export const RANGE_ROW_OVERHEAD = 128;

/** A tenant. */
export interface AppRecord {
  readonly appKey: string;
  readonly name: string;
  /** Secret for signing server API calls. */
  readonly appSecret: string;
  /** Base64url HMAC key the app's user tokens (JWT HS256) are signed with. */
  readonly tokenKey: string;
  readonly disabled: boolean;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** The secret before the last rotation, still accepted until `previousSecretExpiresAt`. */
  readonly previousSecret?: string;
  /** Milliseconds since the epoch; absent together with `previousSecret`. */
  readonly previousSecretExpiresAt?: number;
}

/** A user as the app registered it through the server API. */
export interface UserRecord {
  readonly appKey: string;
  readonly userId: string;
  readonly name: string;
  readonly avatarUrl: string;
  /** App-defined JSON text, at most a few KiB (the API limits it). */
  readonly extra: string;
  readonly blocked: boolean;
  /** Tokens issued before this instant (ms since the epoch) are revoked; 0 when never revoked. */
  readonly tokensValidAfter: number;
  /** When the user was deleted (ms since the epoch; the row is then a tombstone with an empty profile); 0 when not deleted. */
  readonly deletedAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The profile fields the app sets. */
export interface UserProfile {
  readonly name: string;
  readonly avatarUrl: string;
  readonly extra: string;
}

/**
 * Bit of `flags` the server sets on a message a recall has acted on (its
 * content is then erased). Clients may not set it.
 */
export const MESSAGE_FLAG_RECALLED = 0x4000_0000;

/** One message as stored: an entry of its conversation's seq stream. */
export interface StoredMessage {
  readonly appKey: string;
  readonly convId: string;
  readonly seq: number;
  readonly msgId: string;
  readonly senderId: string;
  readonly senderDevice: string;
  readonly clientMsgId: string;
  readonly senderSeq: number;
  readonly type: string;
  readonly content: Uint8Array;
  readonly ts: number;
  readonly flags: number;
}

/** One send to commit. The caller has already checked permissions. */
export interface SendInput {
  readonly appKey: string;
  readonly convId: string;
  readonly kind: ConversationKind;
  /** Users whose change index gets a pointer to this conversation. */
  readonly members: readonly string[];
  readonly senderId: string;
  readonly senderDevice: string;
  readonly clientMsgId: string;
  /**
   * Per (sender device, conversation), starting at 1. 0 means "the next one":
   * the adapter uses last + 1 inside the commit (server API sends, which
   * dedupe by clientMsgId only and take commit order as sender order).
   */
  readonly senderSeq: number;
  readonly type: string;
  readonly content: Uint8Array;
  readonly flags: number;
  /** Pre-generated global id, used only if the message is stored. */
  readonly msgId: string;
  /** Commit time to record, milliseconds since the epoch. */
  readonly ts: number;
  /**
   * Set on a recall: when this message is stored, the message with this seq
   * in the same conversation gets {@link MESSAGE_FLAG_RECALLED} and empty
   * content, in the same transaction.
   */
  readonly recallsSeq?: number;
  /**
   * Group conversations (`kind: 'group'`) only. When set, the adapter ignores
   * `members` and resolves the recipients from the stored membership inside
   * the commit, after applying `group.change` (if any): a send and a
   * membership change can never see different member lists. The services
   * always set it for groups.
   */
  readonly group?: GroupSendRules;
  /**
   * Set when the app has message callbacks enabled: if this send is stored,
   * an outbox entry for it ({@link WebhookEntry}, lane = convId, key = msgId)
   * commits in the same transaction. Unset costs nothing.
   */
  readonly webhook?: boolean;
}

/** Roles in a group. */
export type { GroupRole } from '@tidings/protocol';

/** A group as stored. */
export interface GroupRecord extends GroupInfo {
  readonly appKey: string;
}

/** One member row; a former member keeps the row with `leftSeq` > 0. */
export type GroupMember = GroupMemberInfo;

/** A membership or settings change, applied atomically with the stream entry announcing it. */
export interface GroupChange {
  readonly create?: { readonly ownerId: string; readonly name: string; readonly extra: string; readonly historyVisible: boolean };
  readonly add?: ReadonlyArray<{ readonly userId: string; readonly role: GroupRole }>;
  readonly remove?: readonly string[];
  readonly roles?: ReadonlyArray<{ readonly userId: string; readonly role: GroupRole }>;
  readonly mute?: ReadonlyArray<{ readonly userId: string; readonly until: number }>;
  readonly set?: {
    readonly ownerId?: string;
    readonly name?: string;
    readonly extra?: string;
    readonly muteAll?: boolean;
    readonly exempt?: readonly string[];
    readonly historyVisible?: boolean;
    readonly dismissed?: boolean;
  };
}

/** How a group send is checked and what it changes. */
export interface GroupSendRules {
  /**
   * `member`: refused unless the sender is a current member, not muted (nor
   * under mute-all), and the group exists and is not dismissed. `none`: the
   * caller (the group service or the server API) already decided.
   */
  readonly check: 'member' | 'none';
  readonly change?: GroupChange;
}

/**
 * What happened to one send. Rules (design.md section 3), checked in this order:
 * 1. a message with the same (app, conv, sender, clientMsgId) exists: `duplicate`, with the original;
 * 2. senderSeq == last + 1 for (app, conv, sender, device): `stored` with the next gapless seq;
 * 3. senderSeq > last + 1: `gap`, expecting last + 1;
 * 4. senderSeq <= last (with a new clientMsgId): `conflict`, expecting last + 1.
 */
export type SendOutcome =
  | {
      readonly status: 'stored';
      readonly message: StoredMessage;
      /** Group sends: the users whose devices get the push (members after the change, plus removed ones). */
      readonly recipients?: readonly string[];
    }
  | { readonly status: 'duplicate'; readonly message: StoredMessage }
  | { readonly status: 'gap'; readonly expectedSenderSeq: number }
  | { readonly status: 'conflict'; readonly expectedSenderSeq: number }
  /** Group sends refused inside the commit (see {@link GroupSendRules}); the senderSeq is not consumed. */
  | { readonly status: 'refused'; readonly code: 'send.not_member' | 'send.muted' | 'conv.not_found' };

/** One entry of a user's change index. */
export interface ConversationChange {
  readonly convId: string;
  readonly maxSeq: number;
  /** Per-user, strictly increasing across the user's entries. */
  readonly version: number;
}

/** The storage port. */
export interface Store {
  createApp(app: AppRecord): Promise<void>;
  getApp(appKey: string): Promise<AppRecord | undefined>;
  listApps(): Promise<AppRecord[]>;
  setAppDisabled(appKey: string, disabled: boolean): Promise<void>;

  /**
   * Commits a batch of sends in ONE transaction (group commit) and returns one
   * outcome per input, in input order. Later inputs see the effects of earlier
   * ones in the same batch. For each stored message: its seq is the
   * conversation's next gapless seq, the message row and the dedupe record are
   * written, and every member's change index entry for the conversation is set
   * to the new max seq with a fresh per-user version. When the promise
   * resolves, all of it is durable; when it rejects, none of it is.
   */
  commitSends(batch: readonly SendInput[]): Promise<SendOutcome[]>;

  /**
   * Messages with fromSeq <= seq <= toSeq in seq order, at most `limit`.
   * With `maxBytes`, the read also stops before the first message that would
   * bring the content bytes read past it, each message counted with
   * {@link RANGE_ROW_OVERHEAD} more (always at least one message), so a page
   * of big messages reads and opens only what one answer frame can carry.
   * An adapter may stop earlier (counting sealed sizes), never later.
   */
  readRange(appKey: string, convId: string, fromSeq: number, toSeq: number, limit: number, maxBytes?: number): Promise<StoredMessage[]>;

  /** Newest seq of a conversation; 0 when it has none. */
  maxSeq(appKey: string, convId: string): Promise<number>;

  /** A user's change index entries with version > afterVersion, by version, at most `limit`. */
  changesSince(appKey: string, userId: string, afterVersion: number, limit: number): Promise<ConversationChange[]>;

  /** Raises a device's delivered cursor for a conversation (never lowers it). */
  setDelivered(appKey: string, userId: string, deviceId: string, convId: string, seq: number): Promise<void>;

  /** A device's delivered cursor for a conversation; 0 when none. */
  getDelivered(appKey: string, userId: string, deviceId: string, convId: string): Promise<number>;

  /**
   * Replaces an app's secret; the old one stays valid until
   * `previousExpiresAt` (ms). Returns the updated app; rejects for an unknown app.
   */
  rotateAppSecret(appKey: string, newSecret: string, previousExpiresAt: number): Promise<AppRecord>;

  /**
   * Records a server API nonce. True when it was not seen before (or its
   * earlier record expired before `nowMs`): the request may proceed. False
   * for a replay. Records expire at `expiresAt` (ms) and are purged lazily.
   */
  claimNonce(appKey: string, nonce: string, expiresAt: number, nowMs: number): Promise<boolean>;

  /**
   * Creates or updates a user's profile (blocked and revocation state are
   * kept). On a deleted user it re-creates them: not deleted, `createdAt`
   * now, the revocation instant of the deletion kept (old tokens stay dead).
   */
  upsertUser(appKey: string, userId: string, profile: UserProfile, nowMs: number): Promise<UserRecord>;

  getUser(appKey: string, userId: string): Promise<UserRecord | undefined>;

  /** Blocks or unblocks a user, creating an empty profile when the user is new. */
  setUserBlocked(appKey: string, userId: string, blocked: boolean, nowMs: number): Promise<UserRecord>;

  /**
   * Revokes every token of a user issued before `validAfter` (ms), creating an
   * empty profile when the user is new. Never moves the instant backwards.
   */
  revokeUserTokens(appKey: string, userId: string, validAfter: number, nowMs: number): Promise<UserRecord>;

  /**
   * Deletes a user: erases the profile (name, avatar, extra), clears the
   * block, sets `deletedAt` and revokes every token issued before `nowMs`.
   * The row stays as a tombstone (so tokens stay refused and a re-created
   * user does not revive them), created when the user was never registered
   * (apps may use ids they never registered). Deleting again keeps the first
   * `deletedAt`. Messages are not touched. Returns the tombstone.
   */
  deleteUser(appKey: string, userId: string, nowMs: number): Promise<UserRecord>;

  /** Every deleted user (tombstones) of every app. */
  listDeletedUsers(): Promise<Array<{ readonly appKey: string; readonly userId: string }>>;

  /** A group, or undefined when it was never created. */
  getGroup(appKey: string, groupId: string): Promise<GroupRecord | undefined>;

  /** A user's member row (current or former), or undefined. */
  getGroupMember(appKey: string, groupId: string, userId: string): Promise<GroupMember | undefined>;

  /** Current members with userId > afterUserId, by userId, at most `limit`. */
  listGroupMembers(appKey: string, groupId: string, afterUserId: string, limit: number): Promise<GroupMember[]>;

  /** An app's webhook settings, or undefined when never set. */
  getWebhookConfig(appKey: string): Promise<WebhookConfig | undefined>;

  /** Creates or replaces an app's webhook settings. */
  setWebhookConfig(config: WebhookConfig): Promise<void>;

  /** Adds callbacks to the outbox (status events; message events commit with their message). */
  enqueueWebhooks(entries: readonly WebhookEnqueue[]): Promise<void>;

  /**
   * Leases up to `limit` due callbacks for delivery, at most one per lane:
   * the lane's oldest entry that is not dead-lettered, when its `nextAt` <=
   * `nowMs` and it is not leased by anyone until after `nowMs`. Each gets
   * `leaseUntil` and `token`; two callers never hold the same entry at once,
   * and a lane's next entry is only claimable once the previous one was
   * completed or dead-lettered.
   */
  claimWebhooks(token: string, nowMs: number, leaseUntil: number, limit: number): Promise<WebhookEntry[]>;

  /** Removes a delivered entry; false when `token` no longer holds its lease (nothing changes). */
  completeWebhook(id: number, token: string): Promise<boolean>;

  /**
   * Records a failed attempt (attempts + 1, lease released): retried at
   * `nextAt`, or dead-lettered when `dead`. No-op when `token` no longer holds the lease.
   */
  failWebhook(id: number, token: string, failure: { readonly nextAt: number; readonly error: string; readonly dead: boolean }): Promise<boolean>;

  /** An app's dead-lettered entries with id > afterId, by id, at most `limit`. */
  listWebhookDeadLetters(appKey: string, afterId: number, limit: number): Promise<WebhookEntry[]>;

  /**
   * Puts dead-lettered entries of the app (those in `ids`, or all when
   * undefined) back in their lanes, due at `nowMs` with 0 attempts. Returns how many.
   */
  replayWebhookDeadLetters(appKey: string, ids: readonly number[] | undefined, nowMs: number): Promise<number>;

  /** Entries of an app still waiting for delivery (not dead-lettered). */
  countPendingWebhooks(appKey: string): Promise<number>;

  /**
   * Encryption at rest: adds a new data key for the app; messages written
   * from now on are sealed with it, older ones stay readable under theirs.
   * Returns the new key id. Rejects when the store has no master key.
   */
  rotateDataKey(appKey: string): Promise<number>;

  /** Chatroom state and owner leases (see `room-port.ts`). */
  readonly rooms: RoomStore;

  /** Flushes and releases everything. */
  close(): Promise<void>;
}

/** What an app's webhook receives. */
export type WebhookEvent = 'message' | 'status';

/** An app's webhook settings. */
export interface WebhookConfig {
  readonly appKey: string;
  /** Where message and status callbacks are POSTed; '' for none. */
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  /** Delivery timeout of one callback, ms. */
  readonly timeoutMs: number;
  /** Attempts before an entry is dead-lettered. */
  readonly maxAttempts: number;
  /** An entry failing when older than this (ms) is dead-lettered. */
  readonly maxAgeMs: number;
  /** Pre-send hook URL; '' for none. */
  readonly preSendUrl: string;
  readonly preSendTimeoutMs: number;
  /** When the pre-send hook times out or fails: true sends unchanged, false refuses the send. */
  readonly failOpen: boolean;
  readonly updatedAt: number;
}

/** A callback to add to the outbox. */
export interface WebhookEnqueue {
  readonly appKey: string;
  /** Delivery order holds per lane: a conversation id, or `@status:<userId>`. */
  readonly lane: string;
  readonly event: WebhookEvent;
  /** Message events: the message (the body is built from the stored row at delivery). */
  readonly convId: string;
  readonly seq: number;
  /** Status events: the JSON body; '' for message events. */
  readonly payload: string;
  /** Same for every delivery attempt of this entry. */
  readonly idempotencyKey: string;
  readonly createdAt: number;
}

/** One callback in the outbox or the dead-letter list. */
export interface WebhookEntry extends WebhookEnqueue {
  /** Increasing in insertion order; order within a lane. */
  readonly id: number;
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError: string;
  readonly dead: boolean;
}
