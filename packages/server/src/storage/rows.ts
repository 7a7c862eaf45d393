import type {
  AppRecord,
  GroupMember,
  GroupRole,
  StoredMessage,
  UserRecord,
  WebhookEntry,
  WebhookEvent,
} from './port.ts';

/** A boolean column: SQLite gives 0/1, PostgreSQL true/false. */
const flag = (v: unknown): boolean => v === true || v === 1;

/** Maps a `messages` row selected with the message columns. */
export function toMessage(row: Record<string, unknown>): StoredMessage {
  return {
    appKey: row.app_key as string,
    convId: row.conv_id as string,
    seq: row.seq as number,
    msgId: row.msg_id as string,
    senderId: row.sender_id as string,
    senderDevice: row.sender_device as string,
    clientMsgId: row.client_msg_id as string,
    senderSeq: row.sender_seq as number,
    type: row.type as string,
    content: row.content as Uint8Array,
    ts: row.ts as number,
    flags: row.flags as number,
  };
}

/** Maps a `group_members` row. */
export function toMember(row: Record<string, unknown>): GroupMember {
  return {
    userId: row.user_id as string,
    role: row.role as GroupRole,
    joinedSeq: row.joined_seq as number,
    leftSeq: row.left_seq as number,
    mutedUntil: row.muted_until as number,
  };
}

/** Maps a `webhook_outbox` row. */
export function toWebhookEntry(row: Record<string, unknown>): WebhookEntry {
  return {
    id: row.id as number,
    appKey: row.app_key as string,
    lane: row.lane as string,
    event: row.event as WebhookEvent,
    convId: row.conv_id as string,
    seq: row.seq as number,
    payload: row.payload as string,
    idempotencyKey: row.idempotency_key as string,
    createdAt: row.created_at as number,
    attempts: row.attempts as number,
    nextAt: row.next_at as number,
    lastError: row.last_error as string,
    dead: flag(row.dead),
  };
}

/** Maps an `apps` row. */
export function toApp(row: Record<string, unknown>): AppRecord {
  return {
    appKey: row.app_key as string,
    name: row.name as string,
    appSecret: row.app_secret as string,
    tokenKey: row.token_key as string,
    disabled: flag(row.disabled),
    createdAt: row.created_at as number,
    ...(typeof row.previous_secret === 'string'
      ? { previousSecret: row.previous_secret, previousSecretExpiresAt: row.previous_secret_expires_at as number }
      : {}),
  };
}

/** Maps a `users` row. */
export function toUser(row: Record<string, unknown>): UserRecord {
  return {
    appKey: row.app_key as string,
    userId: row.user_id as string,
    name: row.name as string,
    avatarUrl: row.avatar_url as string,
    extra: row.extra as string,
    blocked: flag(row.blocked),
    tokensValidAfter: row.tokens_valid_after as number,
    deletedAt: row.deleted_at as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}
