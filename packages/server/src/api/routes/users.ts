import type { FastifyInstance } from 'fastify';
import { issueUserToken } from '../../auth/tokens.ts';
import type { UserRecord } from '../../storage/port.ts';
import { caller, type ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { SYSTEM_SENDER } from './messages.ts';
import { ERROR_RESPONSES, USER, USER_PARAMS } from '../schemas.ts';

/** Longest token lifetime a caller may ask for: one year. */
const MAX_TOKEN_TTL_SECONDS = 365 * 86_400;
const MAX_EXTRA_BYTES = 4096;

const view = (u: UserRecord) => {
  const { appKey: _appKey, ...rest } = u;
  return rest;
};

interface UserParams {
  userId: string;
}

/** Users: profiles, tokens, revocation, blocking, deletion and presence. Signed by the app. */
export function userRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['users'];

  api.put<{ Params: UserParams; Body: { name?: string; avatarUrl?: string; extra?: string } }>(
    '/v1/users/:userId',
    {
      schema: {
        summary: 'Register a user or update their profile',
        tags,
        params: USER_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 256 },
            avatarUrl: { type: 'string', maxLength: 2048 },
            extra: { type: 'string', maxLength: MAX_EXTRA_BYTES, description: 'App-defined JSON text.' },
          },
        },
        response: { 200: USER, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const app = caller(req);
      const { name = '', avatarUrl = '', extra = '' } = req.body ?? {};
      if (extra !== '') {
        try {
          JSON.parse(extra);
        } catch {
          return sendError(reply, 'protocol.invalid_request', 'extra must be JSON text');
        }
      }
      const user = await d.store.upsertUser(app.appKey, req.params.userId, { name, avatarUrl, extra }, d.now());
      // Re-creating a deleted user: they may be sent to again (their old tokens stay revoked).
      if (d.users.isDeleted(app.appKey, req.params.userId)) d.users.changed({ appKey: app.appKey, userId: req.params.userId, deleted: false });
      return view(user);
    },
  );

  api.get<{ Params: UserParams }>(
    '/v1/users/:userId',
    { schema: { summary: 'Get a user', tags, params: USER_PARAMS, response: { 200: USER, ...ERROR_RESPONSES } } },
    async (req, reply) => {
      const user = await d.store.getUser(caller(req).appKey, req.params.userId);
      return user ? view(user) : sendError(reply, 'user.not_found');
    },
  );

  api.post<{ Params: UserParams; Body: { ttlSeconds: number } }>(
    '/v1/users/:userId/tokens',
    {
      schema: {
        summary: 'Issue a user token for the client SDK',
        tags,
        params: USER_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['ttlSeconds'],
          properties: { ttlSeconds: { type: 'integer', minimum: 1, maximum: MAX_TOKEN_TTL_SECONDS } },
        },
        response: {
          200: {
            type: 'object',
            required: ['token', 'expiresAt'],
            properties: { token: { type: 'string' }, expiresAt: { type: 'integer', description: 'ms since the epoch' } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req, reply) => {
      const app = caller(req);
      const user = await d.store.getUser(app.appKey, req.params.userId);
      if (user && user.deletedAt > 0) return sendError(reply, 'user.deleted', 'the user was deleted; register them again (PUT) to issue tokens');
      if (user?.blocked) return sendError(reply, 'auth.user_blocked');
      const now = d.now();
      const token = await issueUserToken(app, req.params.userId, req.body.ttlSeconds, now);
      return { token, expiresAt: (Math.floor(now / 1000) + req.body.ttlSeconds) * 1000 };
    },
  );

  api.post<{ Params: UserParams }>(
    '/v1/users/:userId/tokens/revoke',
    {
      schema: {
        summary: 'Revoke every token of the user issued until now and disconnect their devices',
        tags,
        params: USER_PARAMS,
        response: { 200: USER, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const appKey = caller(req).appKey;
      const user = await d.store.revokeUserTokens(appKey, req.params.userId, d.now(), d.now());
      d.users.changed({ appKey, userId: req.params.userId, close: 'auth.token_revoked' });
      return view(user);
    },
  );

  for (const [verb, blocked] of [
    ['block', true],
    ['unblock', false],
  ] as const) {
    api.post<{ Params: UserParams }>(
      `/v1/users/:userId/${verb}`,
      {
        schema: {
          summary: blocked ? 'Block a user: disconnect their devices, refuse new connections and tokens' : 'Unblock a user',
          tags,
          params: USER_PARAMS,
          response: { 200: USER, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const appKey = caller(req).appKey;
        const user = await d.store.setUserBlocked(appKey, req.params.userId, blocked, d.now());
        if (blocked) d.users.changed({ appKey, userId: req.params.userId, close: 'auth.user_blocked' });
        return view(user);
      },
    );
  }

  api.delete<{ Params: UserParams }>(
    '/v1/users/:userId',
    {
      schema: {
        summary: 'Delete a user: erase the profile, refuse every token, close their connections, refuse sends to them',
        description:
          'Idempotent. Their messages stay in the conversations (sender id kept; GET of the user answers the tombstone). ' +
          'They leave every group (members_removed by @system); a group they own passes to its first admin, else its first member by id, ' +
          'and a group with nobody else is dismissed. If this fails midway, calling it again finishes the job. ' +
          'Registering the same id again (PUT) re-creates the user; tokens issued before the deletion stay refused.',
        tags,
        params: USER_PARAMS,
        response: { 200: USER, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const appKey = caller(req).appKey;
      const user = await d.store.deleteUser(appKey, req.params.userId, d.now());
      d.users.changed({ appKey, userId: req.params.userId, deleted: true, close: 'auth.user_deleted' });
      await d.groups?.removeUser(appKey, req.params.userId, SYSTEM_SENDER);
      return view(user);
    },
  );

  api.get<{ Params: UserParams }>(
    '/v1/users/:userId/online',
    {
      schema: {
        summary: 'Whether the user has a connected device',
        tags,
        params: USER_PARAMS,
        response: {
          200: { type: 'object', required: ['userId', 'online'], properties: { userId: { type: 'string' }, online: { type: 'boolean' } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => ({ userId: req.params.userId, online: d.isOnline ? await d.isOnline(caller(req).appKey, req.params.userId) : d.router.isLocal(caller(req).appKey, req.params.userId) }),
  );
}
