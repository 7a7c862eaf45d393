import type { ConversationKind } from '@tidings/protocol';

/**
 * The storage port: everything Tidings keeps durably. Two adapters implement
 * it (SQLite for the embedded mode, PostgreSQL for the cluster) and both pass
 * `conformance.ts`. Numbers are plain JS numbers (seqs and versions stay far
 * below 2^53).
 */

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
}

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
  /** Per (sender device, conversation), starting at 1. */
  readonly senderSeq: number;
  readonly type: string;
  readonly content: Uint8Array;
  readonly flags: number;
  /** Pre-generated global id, used only if the message is stored. */
  readonly msgId: string;
  /** Commit time to record, milliseconds since the epoch. */
  readonly ts: number;
}

/**
 * What happened to one send. Rules (design.md section 3), checked in this order:
 * 1. a message with the same (app, conv, sender, clientMsgId) exists: `duplicate`, with the original;
 * 2. senderSeq == last + 1 for (app, conv, sender, device): `stored` with the next gapless seq;
 * 3. senderSeq > last + 1: `gap`, expecting last + 1;
 * 4. senderSeq <= last (with a new clientMsgId): `conflict`, expecting last + 1.
 */
export type SendOutcome =
  | { readonly status: 'stored'; readonly message: StoredMessage }
  | { readonly status: 'duplicate'; readonly message: StoredMessage }
  | { readonly status: 'gap'; readonly expectedSenderSeq: number }
  | { readonly status: 'conflict'; readonly expectedSenderSeq: number };

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

  /** Messages with fromSeq <= seq <= toSeq in seq order, at most `limit`. */
  readRange(appKey: string, convId: string, fromSeq: number, toSeq: number, limit: number): Promise<StoredMessage[]>;

  /** Newest seq of a conversation; 0 when it has none. */
  maxSeq(appKey: string, convId: string): Promise<number>;

  /** A user's change index entries with version > afterVersion, by version, at most `limit`. */
  changesSince(appKey: string, userId: string, afterVersion: number, limit: number): Promise<ConversationChange[]>;

  /** Raises a device's delivered cursor for a conversation (never lowers it). */
  setDelivered(appKey: string, userId: string, deviceId: string, convId: string, seq: number): Promise<void>;

  /** A device's delivered cursor for a conversation; 0 when none. */
  getDelivered(appKey: string, userId: string, deviceId: string, convId: string): Promise<number>;

  /** Flushes and releases everything. */
  close(): Promise<void>;
}
