import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { TidingsError } from '@tidings/protocol';
import { setRawBody, type ApiDeps } from './context.ts';
import { sendError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { operatorHook, signedHook } from './verify.ts';
import { appRoutes } from './routes/apps.ts';
import { userRoutes } from './routes/users.ts';
import { messageRoutes } from './routes/messages.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { groupRoutes } from './routes/groups.ts';
import { chatroomRoutes } from './routes/chatrooms.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { serverKeyRoutes } from './routes/server-key.ts';

/** Path the OpenAPI document is served at (unsigned). */
export const OPENAPI_PATH = '/v1/openapi.json';

/**
 * The signed server API. `serverFactory` receives fastify's request handler
 * and returns the node's one HTTP server, so the API shares the port with
 * the WebSocket gateway, /healthz and /metrics.
 *
 * Route layout: `/v1/admin/*` (operator), `/v1/users/:userId/*`,
 * `/v1/messages/<kind>`, `/v1/conversations/:convId/*`; groups and
 * chatrooms arrive as `/v1/groups/:groupId/*` and `/v1/chatrooms/:roomId/*`,
 * each a file in routes/ registered in the signed scope below.
 */
export async function createApi(
  d: ApiDeps,
  serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server,
): Promise<FastifyInstance> {
  const api = Fastify({
    serverFactory: (handler) => serverFactory(handler),
    logger: false,
    bodyLimit: Math.ceil(d.maxContentBytes * 1.4) + 16 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
  });
  const routes: RouteOptions[] = [];
  api.addHook('onRoute', (r) => void routes.push(r));

  // Signatures cover the exact body bytes, so keep them before parsing.
  api.removeContentTypeParser('application/json');
  api.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    setRawBody(req, bytes);
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  api.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof TidingsError) return sendError(reply, err.code);
    if (err.validation) return sendError(reply, 'protocol.invalid_request', err.message);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 'protocol.frame_too_large', 'request body too large');
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, 'protocol.invalid_request', err.message);
    d.log.error({ err }, 'server API request failed');
    return sendError(reply, 'server.internal');
  });
  api.setNotFoundHandler((_req, reply) => sendError(reply, 'api.not_found'));

  await api.register(async (operator) => {
    operator.addHook('preValidation', operatorHook(d.operatorToken));
    appRoutes(operator, d);
  });
  await api.register(async (signed) => {
    signed.addHook('preValidation', signedHook(d.store, d.now, d.limits));
    userRoutes(signed, d);
    messageRoutes(signed, d);
    conversationRoutes(signed, d);
    groupRoutes(signed, d);
    chatroomRoutes(signed, d);
    webhookRoutes(signed, d);
    serverKeyRoutes(signed, d);
  });

  let doc: Record<string, unknown> | undefined;
  api.get(OPENAPI_PATH, { schema: { hide: true } }, async () => (doc ??= openApiDocument(routes)));
  await api.ready();
  return api;
}
