import type { GroupMemberInfo } from '@tidings/protocol';

/** A user as the server API returns it. */
export interface User {
  readonly userId: string;
  readonly name: string;
  readonly avatarUrl: string;
  /** App-defined JSON text. */
  readonly extra: string;
  readonly blocked: boolean;
  /** Tokens issued before this instant (ms) are revoked; 0 when never. */
  readonly tokensValidAfter: number;
  /** When the user was deleted (ms; the profile is then empty); 0 when not deleted. */
  readonly deletedAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The answer to a send or recall. */
export interface SendResult {
  readonly convId: string;
  readonly seq: number;
  readonly msgId: string;
  readonly ts: number;
  /** True when the idempotency key was already used: this is the original message. */
  readonly duplicate: boolean;
}

/** A message of a conversation's seq stream. */
export interface HistoryMessage {
  readonly convId: string;
  readonly seq: number;
  readonly msgId: string;
  readonly senderId: string;
  readonly senderDevice: string;
  readonly clientMsgId: string;
  readonly type: string;
  /** The content bytes. */
  readonly content: Uint8Array;
  readonly ts: number;
  readonly flags: number;
}

/** A page of history. */
export interface HistoryPage {
  readonly convId: string;
  readonly maxSeq: number;
  readonly messages: HistoryMessage[];
  readonly hasMore: boolean;
}

/** What to send. */
export interface MessageInput {
  readonly type: string;
  /** Text (sent as UTF-8) or bytes. */
  readonly content: string | Uint8Array;
  readonly flags?: number;
  /** Retries with the same key never send twice. Generated when omitted (then only this call's retries are covered). */
  readonly idempotencyKey?: string;
}

/** An app as the operator sees it. */
export interface AppInfo {
  readonly appKey: string;
  readonly name: string;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly previousSecretExpiresAt?: number;
}

/** An app with its (new) secret: only create and rotate return it. */
export interface AppWithSecret extends AppInfo {
  readonly appSecret: string;
}

/** Type of the stream entry that recalls an earlier message (content `{"seq":N}`). */
export const RECALL_TYPE = 'tidings.recall';
/** Flag bit set on a recalled message (its content is erased). */
export const FLAG_RECALLED = 0x4000_0000;

/** An app's webhook settings (`PUT /v1/app/webhooks`). */
export interface WebhookSettings {
  /** Where message and status callbacks are POSTed; empty for none. */
  readonly url: string;
  readonly events: ReadonlyArray<'message' | 'status'>;
  /** Timeout of one callback (100 ms - 30 s). */
  readonly timeoutMs: number;
  /** Attempts before a callback is dead-lettered. */
  readonly maxAttempts: number;
  /** A callback failing when older than this is dead-lettered. */
  readonly maxAgeMs: number;
  /** Pre-send hook URL; empty for none. */
  readonly preSendUrl: string;
  readonly preSendTimeoutMs: number;
  /** On a pre-send hook timeout or error: true sends unchanged, false refuses with `send.hook_unavailable`. */
  readonly failOpen: boolean;
  readonly updatedAt: number;
}

/** A dead-lettered callback. */
export interface DeadLetter {
  readonly id: number;
  readonly event: 'message' | 'status';
  /** Conversation id, or `@status:<userId>`. */
  readonly lane: string;
  readonly convId?: string;
  readonly seq?: number;
  readonly idempotencyKey: string;
  readonly createdAt: number;
  readonly attempts: number;
  readonly lastError: string;
}

/** The answer to a group or chatroom change: the seq of the entry that announced it (0 when nothing changed). */
export interface GroupChange {
  readonly groupId: string;
  readonly seq: number;
}

/** A group as the server API returns it. */
export type { GroupInfo } from '@tidings/protocol';

/** One member of a group. */
export type GroupMember = GroupMemberInfo;

/** The answer to a chatroom change: the seq of its notification entry (0 when none). */
export interface RoomChange {
  readonly roomId: string;
  readonly seq: number;
}

/** Overload and window policy of an app's chatrooms. */
export interface RoomPolicy {
  /** Messages kept in memory for catch-up. */
  readonly windowSize: number;
  /** Recent messages a fresh joiner gets. */
  readonly joinRecent: number;
  /** Per-room message rate; 0 = unlimited. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** A chatroom as the server API returns it. */
export interface RoomInfo {
  readonly roomId: string;
  /** Distinct users with a joined connection. */
  readonly memberCount: number;
  readonly connections: number;
  readonly maxSeq: number;
  readonly attrs: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly policy: RoomPolicy;
}

/** What to send into a chatroom. */
export interface RoomMessageInput extends MessageInput {
  /** The user it is from (need not be joined; refused when banned or muted); the app itself (`@system`) when omitted. */
  readonly from?: string;
  /** Under overload low is shed first, high never. Default normal. */
  readonly priority?: 'high' | 'normal' | 'low';
}

/** The answer to a chatroom send. */
export interface RoomSendResult extends SendResult {
  /** True when the room's overload policy shed it: the seq is taken (members get a marker), `msgId` is empty. */
  readonly shed: boolean;
}
