import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { newApp } from '../../auth/credentials.ts';
import type { AppRecord } from '../../storage/port.ts';
import type { ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const MAX_GRACE_SECONDS = 30 * 86_400;

const APP = {
  type: 'object',
  required: ['appKey', 'name', 'disabled', 'createdAt'],
  properties: {
    appKey: { type: 'string' },
    name: { type: 'string' },
    disabled: { type: 'boolean' },
    createdAt: { type: 'integer' },
    previousSecretExpiresAt: { type: 'integer', description: 'Until when the secret before the last rotation is accepted.' },
  },
} as const;

const APP_WITH_SECRET = {
  ...APP,
  required: [...APP.required, 'appSecret'],
  properties: { ...APP.properties, appSecret: { type: 'string', description: 'Shown only here; sign API calls with it.' } },
} as const;

const APP_PARAMS = { type: 'object', required: ['appKey'], properties: { appKey: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

const summary = (a: AppRecord) => ({
  appKey: a.appKey,
  name: a.name,
  disabled: a.disabled,
  createdAt: a.createdAt,
  ...(a.previousSecretExpiresAt !== undefined ? { previousSecretExpiresAt: a.previousSecretExpiresAt } : {}),
});

/** Apps (tenants): operator credential only, never an app secret. */
export function appRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['apps (operator)'];
  const security = [{ operator: [] }];

  api.post<{ Body: { name: string } }>(
    '/v1/admin/apps',
    {
      schema: {
        summary: 'Create an app',
        tags,
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
        },
        response: { 200: APP_WITH_SECRET, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const app = newApp(req.body.name, d.now());
      await d.store.createApp(app);
      return { ...summary(app), appSecret: app.appSecret };
    },
  );

  api.get(
    '/v1/admin/apps',
    {
      schema: {
        summary: 'List apps',
        tags,
        security,
        response: { 200: { type: 'object', required: ['apps'], properties: { apps: { type: 'array', items: APP } } }, ...ERROR_RESPONSES },
      },
    },
    async () => ({ apps: (await d.store.listApps()).map(summary) }),
  );

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    api.post<{ Params: { appKey: string } }>(
      `/v1/admin/apps/:appKey/${verb}`,
      { schema: { summary: `${disabled ? 'Disable' : 'Enable'} an app`, tags, security, params: APP_PARAMS, response: { 200: APP, ...ERROR_RESPONSES } } },
      async (req, reply) => {
        if (!(await d.store.getApp(req.params.appKey))) return sendError(reply, 'auth.app_unknown');
        await d.store.setAppDisabled(req.params.appKey, disabled);
        return summary((await d.store.getApp(req.params.appKey))!);
      },
    );
  }

  api.post<{ Params: { appKey: string }; Body: { graceSeconds: number } }>(
    '/v1/admin/apps/:appKey/rotate-secret',
    {
      schema: {
        summary: 'Replace the app secret; the old one is still accepted for graceSeconds',
        tags,
        security,
        params: APP_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS, default: 3600 } },
        },
        response: { 200: APP_WITH_SECRET, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      if (!(await d.store.getApp(req.params.appKey))) return sendError(reply, 'auth.app_unknown');
      const secret = randomBytes(32).toString('base64url');
      const app = await d.store.rotateAppSecret(req.params.appKey, secret, d.now() + (req.body?.graceSeconds ?? 3600) * 1000);
      return { ...summary(app), appSecret: app.appSecret };
    },
  );

  api.post<{ Params: { appKey: string } }>(
    '/v1/admin/apps/:appKey/rotate-data-key',
    {
      schema: {
        summary: 'Start sealing new messages of the app with a fresh data key (older ones stay readable)',
        tags,
        security,
        params: APP_PARAMS,
        response: {
          200: { type: 'object', additionalProperties: false, required: ['keyId'], properties: { keyId: { type: 'integer' } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req, reply) => {
      if (!(await d.store.getApp(req.params.appKey))) return sendError(reply, 'auth.app_unknown');
      return { keyId: await d.store.rotateDataKey(req.params.appKey) };
    },
  );
}
