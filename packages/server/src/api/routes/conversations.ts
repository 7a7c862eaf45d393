import type { FastifyInstance } from 'fastify';
import { parseConvId } from '@tidings/protocol';
import type { StoredMessage } from '../../storage/port.ts';
import { caller, type ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { ERROR_RESPONSES, MESSAGE, SEND_RESULT } from '../schemas.ts';
import { API_DEVICE, SYSTEM_SENDER, commitAndAnswer } from './messages.ts';

/** Type of the stream entry that recalls an earlier message; its content is `{"seq":N}`. */
export const RECALL_TYPE = 'tidings.recall';
const MAX_PAGE = 500;

/** Members of a conversation the API can address today; groups and chatrooms add theirs in their issue. */
function membersOf(convId: string): readonly string[] | undefined {
  const parsed = parseConvId(convId);
  if (parsed?.kind === 'private') return parsed.members;
  if (parsed?.kind === 'system') return [parsed.target];
  // Groups: members are resolved inside the commit (SendInput.group).
  if (parsed?.kind === 'group') return [];
  return undefined;
}

const view = (m: StoredMessage) => ({ ...m, content: Buffer.from(m.content).toString('base64') });

const CONV_PARAMS = {
  type: 'object',
  required: ['convId'],
  properties: { convId: { type: 'string', minLength: 3, maxLength: 300, description: 'p:<a>:<b>, s:<user> (g:, r: later).' } },
} as const;

/** History and recall by conversation id. Signed by the app. */
export function conversationRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['conversations'];

  api.get<{ Params: { convId: string }; Querystring: { fromSeq: number; toSeq?: number; limit: number } }>(
    '/v1/conversations/:convId/messages',
    {
      schema: {
        summary: 'Read the seq stream of a conversation, oldest first',
        tags,
        params: CONV_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            fromSeq: { type: 'integer', minimum: 1, default: 1 },
            toSeq: { type: 'integer', minimum: 1, description: 'Inclusive; the newest when omitted.' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['convId', 'maxSeq', 'messages', 'hasMore'],
            properties: {
              convId: { type: 'string' },
              maxSeq: { type: 'integer' },
              messages: { type: 'array', items: MESSAGE },
              hasMore: { type: 'boolean' },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req, reply) => {
      const { convId } = req.params;
      if (!membersOf(convId)) return sendError(reply, parseConvId(convId) ? 'conv.not_found' : 'conv.invalid_id');
      const appKey = caller(req).appKey;
      const { fromSeq, limit } = req.query;
      const toSeq = req.query.toSeq ?? Number.MAX_SAFE_INTEGER;
      const [rows, maxSeq] = await Promise.all([
        toSeq < fromSeq ? Promise.resolve([]) : d.store.readRange(appKey, convId, fromSeq, toSeq, limit),
        d.store.maxSeq(appKey, convId),
      ]);
      const last = rows.at(-1)?.seq ?? fromSeq - 1;
      return { convId, maxSeq, messages: rows.map(view), hasMore: last < Math.min(toSeq, maxSeq) };
    },
  );

  api.post<{ Params: { convId: string; seq: number } }>(
    '/v1/conversations/:convId/messages/:seq/recall',
    {
      schema: {
        summary: 'Recall a message: appends a tidings.recall entry naming its seq and erases its content',
        description: 'Idempotent: recalling the same seq again returns the first recall (duplicate: true).',
        tags,
        params: {
          type: 'object',
          required: ['convId', 'seq'],
          properties: { ...CONV_PARAMS.properties, seq: { type: 'integer', minimum: 1 } },
        },
        response: { 200: SEND_RESULT, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const { convId, seq } = req.params;
      const members = membersOf(convId);
      if (!members) return sendError(reply, parseConvId(convId) ? 'conv.not_found' : 'conv.invalid_id');
      const appKey = caller(req).appKey;
      const [target] = await d.store.readRange(appKey, convId, seq, seq, 1);
      if (!target) return sendError(reply, 'msg.not_found');
      if (target.type === RECALL_TYPE) return sendError(reply, 'msg.not_recallable');
      // The dedupe key is the target seq, so concurrent or repeated recalls store one entry.
      const clientMsgId = `recall:${seq}`;
      return commitAndAnswer(d, reply, {
        appKey,
        convId,
        kind: parseConvId(convId)!.kind,
        members,
        senderId: SYSTEM_SENDER,
        senderDevice: API_DEVICE,
        clientMsgId,
        senderSeq: 0,
        type: RECALL_TYPE,
        content: new TextEncoder().encode(JSON.stringify({ seq })),
        flags: 0,
        recallsSeq: seq,
        ...(parseConvId(convId)!.kind === 'group' ? { group: { check: 'none' as const } } : {}),
      });
    },
  );
}
