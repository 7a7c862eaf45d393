import { randomUUID } from 'node:crypto';
import { privateConvId } from '@tidings/protocol';
import { chatroomCalls } from './chatrooms.ts';
import { groupCalls } from './groups.ts';
import { createLanes } from './lanes.ts';
import { createTransport, path, type Transport, type TransportOptions } from './transport.ts';
import type { DeadLetter, HistoryMessage, HistoryPage, MessageInput, RoomMessageInput, RoomSendResult, SendResult, User, WebhookSettings } from './types.ts';

/** Options of {@link createServerClient}. */
export interface ServerClientOptions extends TransportOptions {
  readonly appKey: string;
  readonly appSecret: string;
}

function encodeContent(content: string | Uint8Array): { content: string; encoding: 'utf8' | 'base64' } {
  return typeof content === 'string' ? { content, encoding: 'utf8' } : { content: Buffer.from(content).toString('base64'), encoding: 'base64' };
}

type WireMessage = Omit<HistoryMessage, 'content'> & { content: string };

/**
 * A typed client of the signed server API for an app's backend: signs every
 * request with the app secret, retries retryable failures (sends carry an
 * idempotency key, so a retry never sends twice), and keeps the order of
 * sends per conversation.
 *
 * @example
 * ```ts
 * import { createServerClient } from '@tidings/server-sdk';
 * const tidings = createServerClient({ baseUrl: 'http://127.0.0.1:7600', appKey, appSecret });
 * await tidings.users.upsert('alice', { name: 'Alice' });
 * const { token } = await tidings.users.issueToken('alice', 3600);
 * await tidings.messages.sendPrivate('alice', 'bob', { type: 'text', content: 'hi', idempotencyKey: 'order-42' });
 * ```
 */
export function createServerClient(o: ServerClientOptions) {
  const t: Transport = createTransport({ kind: 'app', appKey: o.appKey, appSecret: o.appSecret }, o);
  const lane = createLanes();

  const send = <R = SendResult>(convId: string, route: string, extra: Record<string, string>, m: MessageInput): Promise<R> => {
    const body = { ...extra, type: m.type, ...encodeContent(m.content), flags: m.flags ?? 0, idempotencyKey: m.idempotencyKey ?? randomUUID() };
    return lane(convId, () => t.request<R>({ method: 'POST', path: route, body }));
  };

  return {
    /** The signing transport, for routes this client does not wrap yet. */
    request: t.request,
    /**
     * The node's secure-session public key (base64url). Ship it in the app's
     * configuration: every SDK client must pin it (`serverKey` of `createClient`).
     */
    serverKey: async (): Promise<string> => (await t.request<{ serverKey: string }>({ method: 'GET', path: '/v1/server-key' })).serverKey,
    users: {
      /** Registers a user or updates their profile. */
      upsert: (userId: string, profile: { name?: string; avatarUrl?: string; extra?: unknown } = {}): Promise<User> =>
        t.request({
          method: 'PUT',
          path: path`/v1/users/${userId}`,
          body: {
            ...(profile.name !== undefined ? { name: profile.name } : {}),
            ...(profile.avatarUrl !== undefined ? { avatarUrl: profile.avatarUrl } : {}),
            ...(profile.extra !== undefined ? { extra: JSON.stringify(profile.extra) } : {}),
          },
        }),
      get: (userId: string): Promise<User> => t.request({ method: 'GET', path: path`/v1/users/${userId}` }),
      /** A token for the client SDK, valid for `ttlSeconds`. */
      issueToken: (userId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> =>
        t.request({ method: 'POST', path: path`/v1/users/${userId}/tokens`, body: { ttlSeconds } }),
      /** Revokes every token issued to the user until now. */
      revokeTokens: (userId: string): Promise<User> => t.request({ method: 'POST', path: path`/v1/users/${userId}/tokens/revoke`, body: {} }),
      block: (userId: string): Promise<User> => t.request({ method: 'POST', path: path`/v1/users/${userId}/block`, body: {} }),
      unblock: (userId: string): Promise<User> => t.request({ method: 'POST', path: path`/v1/users/${userId}/unblock`, body: {} }),
      online: (userId: string): Promise<{ userId: string; online: boolean }> => t.request({ method: 'GET', path: path`/v1/users/${userId}/online` }),
      /**
       * Deletes the user: the profile is erased, every token refused
       * (`auth.user_deleted`), their connections closed, sends to them refused
       * (`user.deleted`); their messages stay. Idempotent; `upsert` re-creates them
       * without reviving old tokens. Answers the tombstone.
       */
      delete: (userId: string): Promise<User> => t.request({ method: 'DELETE', path: path`/v1/users/${userId}` }),
    },
    messages: {
      /** Sends a private message on behalf of `from`. */
      sendPrivate: (from: string, to: string, m: MessageInput): Promise<SendResult> =>
        send(privateConvId(from, to), '/v1/messages/private', { from, to }, m),
      /** Sends a system message to `to` (conversation `s:<to>`). */
      sendSystem: (to: string, m: MessageInput): Promise<SendResult> => send(`s:${to}`, '/v1/messages/system', { to }, m),
      /** Sends to a group on behalf of member `from` (checked like a device send), or as the app (`@system`) when omitted. */
      sendGroup: (groupId: string, m: MessageInput & { readonly from?: string }): Promise<SendResult> =>
        send(`g:${groupId}`, '/v1/messages/group', { groupId, ...(m.from !== undefined ? { from: m.from } : {}) }, m),
      /**
       * Sends into a chatroom as the app (`@system`), or on behalf of `m.from`,
       * who need not be joined; members get it in the room's one seq order.
       * A banned sender is refused (`room.banned`), a muted one too (`send.muted`).
       */
      sendRoom: (roomId: string, m: RoomMessageInput): Promise<RoomSendResult> =>
        send<RoomSendResult>(`r:${roomId}`, path`/v1/chatrooms/${roomId}/messages`, { ...(m.from !== undefined ? { from: m.from } : {}), ...(m.priority ? { priority: m.priority } : {}) }, m),
    },
    groups: groupCalls(t, lane),
    chatrooms: chatroomCalls(t, lane),
    webhooks: {
      /** The app's webhook settings (defaults when never set). */
      get: (): Promise<WebhookSettings> => t.request({ method: 'GET', path: '/v1/app/webhooks' }),
      /** Changes the settings; omitted fields keep their value. */
      set: (settings: Partial<Omit<WebhookSettings, 'updatedAt'>>): Promise<WebhookSettings> =>
        t.request({ method: 'PUT', path: '/v1/app/webhooks', body: settings }),
      /** Dead-lettered callbacks with id > after, oldest first. */
      deadLetters: (page: { after?: number; limit?: number } = {}): Promise<{ entries: DeadLetter[]; hasMore: boolean }> =>
        t.request({ method: 'GET', path: '/v1/app/webhooks/dead-letters', query: { after: page.after, limit: page.limit } }),
      /** Puts dead-lettered callbacks back in their lanes (all when `ids` is omitted); answers how many. */
      replay: (ids?: number[]): Promise<{ replayed: number }> =>
        t.request({ method: 'POST', path: '/v1/app/webhooks/dead-letters/replay', body: ids ? { ids } : {} }),
    },
    conversations: {
      /** Messages with fromSeq <= seq <= toSeq (toSeq: newest when omitted), oldest first. */
      async history(convId: string, range: { fromSeq?: number; toSeq?: number; limit?: number } = {}): Promise<HistoryPage> {
        const page = await t.request<Omit<HistoryPage, 'messages'> & { messages: WireMessage[] }>({
          method: 'GET',
          path: path`/v1/conversations/${convId}/messages`,
          query: { fromSeq: range.fromSeq, toSeq: range.toSeq, limit: range.limit },
        });
        return { ...page, messages: page.messages.map((m) => ({ ...m, content: new Uint8Array(Buffer.from(m.content, 'base64')) })) };
      },
      /** Recalls the message at `seq` (idempotent per seq). */
      recall: (convId: string, seq: number): Promise<SendResult> =>
        lane(convId, () => t.request({ method: 'POST', path: path`/v1/conversations/${convId}/messages/${seq}/recall`, body: {} })),
    },
  };
}

/** The server API client. */
export type ServerClient = ReturnType<typeof createServerClient>;
