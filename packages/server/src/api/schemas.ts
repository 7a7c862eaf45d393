import { MAX_ID_LENGTH } from '@tidings/protocol';
import { ERROR_SCHEMA } from './errors.ts';

/**
 * JSON schemas shared by the routes. Fastify validates every request with
 * them and serialises every answer through them (unknown fields are dropped),
 * and the OpenAPI document is generated from them.
 */

/** A user, device, group or room id (protocol ids.ts). */
export const ID = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, pattern: '^[A-Za-z0-9_.@=+-]+$' } as const;

/** An idempotency key: retries with the same key never create a second message. */
export const IDEMPOTENCY_KEY = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  description: 'Retries with the same key return the original result instead of sending again.',
} as const;

/** Error answers every route may give. */
export const ERROR_RESPONSES = { '4xx': ERROR_SCHEMA, '5xx': ERROR_SCHEMA } as const;

/** A stored message as the API returns it. */
export const MESSAGE = {
  type: 'object',
  required: ['convId', 'seq', 'msgId', 'senderId', 'senderDevice', 'clientMsgId', 'type', 'content', 'ts', 'flags'],
  properties: {
    convId: { type: 'string' },
    seq: { type: 'integer' },
    msgId: { type: 'string' },
    senderId: { type: 'string' },
    senderDevice: { type: 'string' },
    clientMsgId: { type: 'string' },
    type: { type: 'string' },
    content: { type: 'string', description: 'Base64 of the content bytes.' },
    ts: { type: 'integer', description: 'Commit time, ms since the epoch.' },
    flags: { type: 'integer' },
  },
} as const;

/** The answer to a send. */
export const SEND_RESULT = {
  type: 'object',
  required: ['convId', 'seq', 'msgId', 'ts', 'duplicate'],
  properties: {
    convId: { type: 'string' },
    seq: { type: 'integer' },
    msgId: { type: 'string' },
    ts: { type: 'integer' },
    duplicate: { type: 'boolean', description: 'True when this idempotency key was already used: the original is returned.' },
  },
} as const;

/** The user record as the API returns it. */
export const USER = {
  type: 'object',
  required: ['userId', 'name', 'avatarUrl', 'extra', 'blocked', 'tokensValidAfter', 'deletedAt', 'createdAt', 'updatedAt'],
  properties: {
    userId: { type: 'string' },
    name: { type: 'string' },
    avatarUrl: { type: 'string' },
    extra: { type: 'string', description: 'App-defined JSON text.' },
    blocked: { type: 'boolean' },
    tokensValidAfter: { type: 'integer', description: 'Tokens issued before this instant (ms) are revoked; 0 when never.' },
    deletedAt: {
      type: 'integer',
      description: 'When the user was deleted (ms; the profile is then empty and every token refused); 0 when not deleted.',
    },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
} as const;

/** Path parameter `userId`. */
export const USER_PARAMS = { type: 'object', required: ['userId'], properties: { userId: ID } } as const;
