/**
 * @tidings/server-sdk: the Tidings server API for app backends.
 *
 * @example
 * ```ts
 * import { createServerClient } from '@tidings/server-sdk';
 * const tidings = createServerClient({ baseUrl: 'http://127.0.0.1:7600', appKey, appSecret });
 * const { token } = await tidings.users.issueToken('alice', 3600);
 * ```
 */
export { createServerClient } from './client.ts';
export type { ServerClient, ServerClientOptions } from './client.ts';
export { createAdminClient } from './admin.ts';
export type { AdminClient, AdminClientOptions } from './admin.ts';
export { ServerApiError } from './errors.ts';
export { createTransport, path } from './transport.ts';
export type { ApiRequest, Credentials, Transport, TransportOptions } from './transport.ts';
export { SIGNATURE_SCHEME, SIGNED_HEADERS, canonicalQuery, canonicalString, newNonce, signRequest } from './signing.ts';
export type { RequestParts } from './signing.ts';
export { WEBHOOK_SCHEME, WEBHOOK_TOLERANCE_MS, signWebhook, verifyWebhook } from './webhook.ts';
export type { WebhookVerdict } from './webhook.ts';
export { RECALL_TYPE, FLAG_RECALLED } from './types.ts';
export type {
  AppInfo,
  AppWithSecret,
  DeadLetter,
  GroupChange,
  GroupInfo,
  GroupMember,
  HistoryMessage,
  HistoryPage,
  MessageInput,
  RoomChange,
  RoomInfo,
  RoomMessageInput,
  RoomPolicy,
  RoomSendResult,
  SendResult,
  User,
  WebhookSettings,
} from './types.ts';

/** Calls under one key run one after another, in call order (used by this client per conversation, and by the server per group). */
export { createLanes, type Lane } from './lanes.ts';
