import type { FastifyReply } from 'fastify';
import { ERRORS, type ErrorCode } from '@tidings/protocol';

/** The body of every server API error. */
export interface ApiErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly expectedSenderSeq?: number;
}

/** JSON schema of {@link ApiErrorBody}. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'retryable'],
  properties: {
    code: { type: 'string', description: 'Stable error code (docs/protocol.md).' },
    message: { type: 'string' },
    retryable: { type: 'boolean' },
  },
} as const;

/** Sends the error answer for `code` with its HTTP status; returns the reply for hooks. */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  const spec = ERRORS[code];
  const body: ApiErrorBody = { code, message: message ?? spec.description, retryable: spec.retryable };
  return reply.code(spec.http).type('application/json').send(body);
}
