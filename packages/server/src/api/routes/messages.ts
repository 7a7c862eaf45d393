import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseConvId, privateConvId } from '@tidings/protocol';
import type { StoredMessage } from '../../storage/port.ts';
import type { SendDraft } from '../../services/send-path.ts';
import { caller, type ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { ERROR_RESPONSES, ID, IDEMPOTENCY_KEY, SEND_RESULT } from '../schemas.ts';

/** Device name of every message the server API sends. */
export const API_DEVICE = 'server-api';
/** Sender of system messages and recalls made by the app's backend. */
export const SYSTEM_SENDER = '@system';

/** Fields of every send body. */
export const SEND_FIELDS = {
  type: { type: 'string', minLength: 1, maxLength: 64, description: 'Message type, e.g. text.' },
  content: { type: 'string', description: 'The content: UTF-8 text, or base64 when encoding is base64.' },
  encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8' },
  flags: { type: 'integer', minimum: 0, maximum: 0x3fff_ffff, default: 0 },
  idempotencyKey: IDEMPOTENCY_KEY,
} as const;

/** The body of every send, as validated by {@link SEND_FIELDS}. */
export interface SendBody {
  type: string;
  content: string;
  encoding: 'utf8' | 'base64';
  flags: number;
  idempotencyKey: string;
}

/** The answer of a send, from its stored message. */
export function sendResultOf(m: StoredMessage, duplicate: boolean) {
  return { convId: m.convId, seq: m.seq, msgId: m.msgId, ts: m.ts, duplicate };
}

/**
 * Runs a draft through the shared send path and answers. Sends from the API
 * use senderSeq 0 (the next one, assigned inside the commit): they dedupe by
 * idempotency key only, and their order is the order their commits were queued.
 */
export async function commitAndAnswer(d: ApiDeps, reply: FastifyReply, draft: SendDraft) {
  const r = await d.sends.sendAsync(draft);
  if (!r.ok) return sendError(reply, r.code, r.message);
  return sendResultOf(r.message, r.duplicate);
}

/** The content bytes of a send body; undefined when `base64` content is not base64. */
export function contentOf(body: SendBody): Uint8Array | undefined {
  if (body.encoding === 'utf8') return new TextEncoder().encode(body.content);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(body.content)) return undefined;
  return new Uint8Array(Buffer.from(body.content, 'base64'));
}

/** Sends on behalf of a user (private) or of the system (system conversations). Signed by the app. */
export function messageRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['messages'];

  api.post<{ Body: SendBody & { from: string; to: string } }>(
    '/v1/messages/private',
    {
      schema: {
        summary: 'Send a private message on behalf of a user',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to', 'type', 'content', 'idempotencyKey'],
          properties: { from: ID, to: ID, ...SEND_FIELDS },
        },
        response: { 200: SEND_RESULT, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const { from, to } = req.body;
      if (from === to) return sendError(reply, 'conv.invalid_id', 'from and to must differ');
      const content = contentOf(req.body);
      if (!content) return sendError(reply, 'protocol.invalid_request', 'content is not base64');
      const convId = privateConvId(from, to);
      return commitAndAnswer(d, reply, {
        appKey: caller(req).appKey,
        convId,
        kind: 'private',
        members: from < to ? [from, to] : [to, from],
        senderId: from,
        senderDevice: API_DEVICE,
        clientMsgId: req.body.idempotencyKey,
        senderSeq: 0,
        type: req.body.type,
        content,
        flags: req.body.flags,
      });
    },
  );

  api.post<{ Body: SendBody & { to: string } }>(
    '/v1/messages/system',
    {
      schema: {
        summary: "Send a system message to a user (conversation s:<user>)",
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['to', 'type', 'content', 'idempotencyKey'],
          properties: { to: ID, ...SEND_FIELDS },
        },
        response: { 200: SEND_RESULT, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const content = contentOf(req.body);
      if (!content) return sendError(reply, 'protocol.invalid_request', 'content is not base64');
      const convId = `s:${req.body.to}`;
      if (!parseConvId(convId)) return sendError(reply, 'conv.invalid_id');
      return commitAndAnswer(d, reply, {
        appKey: caller(req).appKey,
        convId,
        kind: 'system',
        members: [req.body.to],
        senderId: SYSTEM_SENDER,
        senderDevice: API_DEVICE,
        clientMsgId: req.body.idempotencyKey,
        senderSeq: 0,
        type: req.body.type,
        content,
        flags: req.body.flags,
      });
    },
  );
}
