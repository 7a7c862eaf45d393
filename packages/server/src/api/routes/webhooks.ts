import type { FastifyInstance } from 'fastify';
import type { WebhookConfig, WebhookEntry, WebhookEvent } from '../../storage/port.ts';
import { isHttpUrl } from '../../services/webhooks/sign.ts';
import { caller, type ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

/** Settings of an app that never set any. */
const DEFAULTS = { url: '', events: [] as WebhookEvent[], timeoutMs: 5000, maxAttempts: 20, maxAgeMs: 86_400_000, preSendUrl: '', preSendTimeoutMs: 1000, failOpen: true };

const URL_FIELD = { type: 'string', maxLength: 2048, description: 'http(s) URL; empty for none.' } as const;

const SETTINGS_FIELDS = {
  url: { ...URL_FIELD, description: 'Where message and status callbacks are POSTed; empty for none.' },
  events: { type: 'array', items: { type: 'string', enum: ['message', 'status'] }, uniqueItems: true, description: 'Callbacks wanted.' },
  timeoutMs: { type: 'integer', minimum: 100, maximum: 30_000, description: 'Timeout of one callback.' },
  maxAttempts: { type: 'integer', minimum: 1, maximum: 1000, description: 'Attempts before a callback is dead-lettered.' },
  maxAgeMs: { type: 'integer', minimum: 1000, maximum: 30 * 86_400_000, description: 'A callback failing when older than this is dead-lettered.' },
  preSendUrl: { ...URL_FIELD, description: 'Pre-send hook, called before a message is stored; empty for none.' },
  preSendTimeoutMs: { type: 'integer', minimum: 10, maximum: 10_000, description: 'Timeout of the pre-send hook.' },
  failOpen: { type: 'boolean', description: 'On a pre-send hook timeout or error: true sends unchanged, false refuses (send.hook_unavailable).' },
} as const;

const SETTINGS = {
  type: 'object',
  required: [...Object.keys(SETTINGS_FIELDS), 'updatedAt'],
  properties: { ...SETTINGS_FIELDS, updatedAt: { type: 'integer', description: 'ms since the epoch; 0 when never set.' } },
} as const;

const ENTRY = {
  type: 'object',
  required: ['id', 'event', 'lane', 'idempotencyKey', 'createdAt', 'attempts', 'lastError'],
  properties: {
    id: { type: 'integer' },
    event: { type: 'string', enum: ['message', 'status'] },
    lane: { type: 'string', description: 'Conversation id, or @status:<userId>.' },
    convId: { type: 'string' },
    seq: { type: 'integer' },
    idempotencyKey: { type: 'string' },
    createdAt: { type: 'integer' },
    attempts: { type: 'integer' },
    lastError: { type: 'string' },
  },
} as const;

type Settings = Omit<WebhookConfig, 'appKey' | 'updatedAt'>;

const view = (c: WebhookConfig | undefined) => (c ? { ...c, events: [...c.events] } : { ...DEFAULTS, updatedAt: 0 });
const entryView = (e: WebhookEntry) => ({
  id: e.id,
  event: e.event,
  lane: e.lane,
  ...(e.event === 'message' ? { convId: e.convId, seq: e.seq } : {}),
  idempotencyKey: e.idempotencyKey,
  createdAt: e.createdAt,
  attempts: e.attempts,
  lastError: e.lastError,
});

/** The app's webhook settings and dead-letter list. Signed by the app. */
export function webhookRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['webhooks'];

  api.get('/v1/app/webhooks', { schema: { summary: "The app's webhook settings", tags, response: { 200: SETTINGS, ...ERROR_RESPONSES } } }, async (req) =>
    view(await d.store.getWebhookConfig(caller(req).appKey)),
  );

  api.put<{ Body: Partial<Settings> }>(
    '/v1/app/webhooks',
    {
      schema: {
        summary: 'Set the webhook settings (omitted fields keep their value)',
        tags,
        body: { type: 'object', additionalProperties: false, properties: SETTINGS_FIELDS },
        response: { 200: SETTINGS, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const appKey = caller(req).appKey;
      const b = req.body ?? {};
      for (const u of [b.url, b.preSendUrl]) if (u && !isHttpUrl(u)) return sendError(reply, 'protocol.invalid_request', 'webhook URLs must be http(s)');
      const current = view(await d.store.getWebhookConfig(appKey));
      const next: WebhookConfig = { ...current, ...b, appKey, updatedAt: d.now() };
      await d.store.setWebhookConfig(next);
      d.webhooks?.settings.set(next);
      return view(next);
    },
  );

  api.get<{ Querystring: { after: number; limit: number } }>(
    '/v1/app/webhooks/dead-letters',
    {
      schema: {
        summary: 'Dead-lettered callbacks, oldest first',
        tags,
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        },
        response: {
          200: { type: 'object', required: ['entries', 'hasMore'], properties: { entries: { type: 'array', items: ENTRY }, hasMore: { type: 'boolean' } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => {
      const { after, limit } = req.query;
      const rows = await d.store.listWebhookDeadLetters(caller(req).appKey, after, limit + 1);
      return { entries: rows.slice(0, limit).map(entryView), hasMore: rows.length > limit };
    },
  );

  api.post<{ Body: { ids?: number[] } }>(
    '/v1/app/webhooks/dead-letters/replay',
    {
      schema: {
        summary: 'Put dead-lettered callbacks back in their lanes (all of them when ids is omitted)',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ids: { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 1000 } },
        },
        response: { 200: { type: 'object', required: ['replayed'], properties: { replayed: { type: 'integer' } } }, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const replayed = await d.store.replayWebhookDeadLetters(caller(req).appKey, req.body?.ids, d.now());
      if (replayed > 0) d.webhooks?.delivery.kick();
      return { replayed };
    },
  );
}
