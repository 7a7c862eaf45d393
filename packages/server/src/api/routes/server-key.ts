import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

/**
 * The node's long-term public key, for the app backend to hand to its
 * clients (they must pin it: `serverKey` of the SDK). Signed like every app
 * route, so only the app's own backend asks; the answer is public data.
 */
export function serverKeyRoutes(api: FastifyInstance, d: ApiDeps): void {
  api.get(
    '/v1/server-key',
    {
      schema: {
        summary: "The node's secure-session public key, which SDK clients pin (serverKey)",
        tags: ['server'],
        response: {
          200: {
            type: 'object',
            required: ['serverKey'],
            properties: { serverKey: { type: 'string', description: 'Ed25519 public key, base64url (32 bytes).' } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async () => ({ serverKey: d.serverKey }),
  );
}
