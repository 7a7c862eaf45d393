import type { FastifyInstance, FastifyReply } from 'fastify';
import { caller, type ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { PRIORITY } from '../../services/rooms/rooms.ts';
import { ERROR_RESPONSES, ID, SEND_RESULT } from '../schemas.ts';
import { API_DEVICE, SEND_FIELDS, SYSTEM_SENDER, contentOf, type SendBody } from './messages.ts';

const ROOM_PARAMS = { type: 'object', required: ['roomId'], properties: { roomId: ID } } as const;
const RESULT = { type: 'object', required: ['roomId', 'seq'], properties: { roomId: { type: 'string' }, seq: { type: 'integer', description: 'Seq of the notification entry; 0 when none.' } } } as const;
const POLICY = {
  type: 'object',
  required: ['windowSize', 'joinRecent', 'ratePerSecond', 'burst'],
  properties: {
    windowSize: { type: 'integer', minimum: 1, maximum: 100_000, description: 'Messages kept in memory for catch-up.' },
    joinRecent: { type: 'integer', minimum: 0, maximum: 100_000, description: 'Recent messages sent to a fresh joiner.' },
    ratePerSecond: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'Per-room message rate; 0 = unlimited.' },
    burst: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;
const INFO = {
  type: 'object',
  required: ['roomId', 'memberCount', 'maxSeq', 'attrs'],
  properties: {
    roomId: { type: 'string' },
    memberCount: { type: 'integer', description: 'Distinct users with a joined connection.' },
    connections: { type: 'integer' },
    maxSeq: { type: 'integer' },
    attrs: { type: 'object', additionalProperties: { type: 'string' } },
    createdAt: { type: 'integer' },
    policy: POLICY,
  },
} as const;

/** The answer to a room send: a send result that may have been shed by the room's overload policy. */
const ROOM_SEND_RESULT = {
  ...SEND_RESULT,
  required: [...SEND_RESULT.required, 'shed'],
  properties: {
    ...SEND_RESULT.properties,
    shed: { type: 'boolean', description: "True when the room's overload policy shed it: the seq is taken (members get a marker for it), msgId is empty." },
  },
} as const;

type Params = { roomId: string };
type RoomSendBody = SendBody & { from?: string; priority: keyof typeof PRIORITY };

/**
 * Chatrooms: create, inspect, manage and destroy rooms (through whichever node
 * owns each), send into them from the app's backend, and set the app's
 * overload policy. Messages are not stored; members join over the SDK.
 * Signed by the app.
 */
export function chatroomRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['chatrooms'];
  const rooms = d.rooms;
  if (!rooms) return;
  const run = async (reply: FastifyReply, appKey: string, roomId: string, op: string, args: Record<string, unknown>) => {
    const r = await rooms.run(appKey, { api: true, userId: SYSTEM_SENDER }, roomId, op, args);
    if (!r.ok) return sendError(reply, r.code, r.message);
    return r.value;
  };
  const change = (summary: string, body?: Record<string, unknown>) => ({
    summary,
    tags,
    params: ROOM_PARAMS,
    ...(body ? { body: { type: 'object', additionalProperties: false, ...body } } : {}),
    response: { 200: RESULT, ...ERROR_RESPONSES },
  });

  api.put<{ Body: Partial<{ windowSize: number; joinRecent: number; ratePerSecond: number; burst: number }> }>(
    '/v1/chatrooms/policy',
    {
      schema: {
        summary: "Set the app's chatroom policy (recent window, join window, per-room rate limit) for rooms created from now on",
        tags,
        body: { type: 'object', additionalProperties: false, properties: POLICY.properties },
        response: { 200: POLICY, ...ERROR_RESPONSES },
      },
    },
    async (req) => rooms.setPolicy(caller(req).appKey, req.body ?? {}),
  );

  api.post<{ Body: { roomId: string; admins?: string[] } }>(
    '/v1/chatrooms',
    {
      schema: {
        summary: 'Create a chatroom; admins may kick, ban, mute, set attributes and destroy it over the SDK',
        tags,
        body: { type: 'object', additionalProperties: false, required: ['roomId'], properties: { roomId: ID, admins: { type: 'array', maxItems: 100, items: ID } } },
        response: { 200: RESULT, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => run(reply, caller(req).appKey, req.body.roomId, 'create', { admins: req.body.admins ?? [] }),
  );

  api.get<{ Params: Params }>(
    '/v1/chatrooms/:roomId',
    { schema: { summary: 'Member count, newest seq, attributes and policy', tags, params: ROOM_PARAMS, response: { 200: INFO, ...ERROR_RESPONSES } } },
    async (req, reply) => run(reply, caller(req).appKey, req.params.roomId, 'info', {}),
  );

  api.delete<{ Params: Params }>(
    '/v1/chatrooms/:roomId',
    { schema: change('Destroy a room: members get tidings.room.destroyed and are dropped') },
    async (req, reply) => run(reply, caller(req).appKey, req.params.roomId, 'destroy', {}),
  );

  const userBody = { required: ['userId'], properties: { userId: ID } };
  for (const op of ['kick', 'ban', 'unban'] as const) {
    api.post<{ Params: Params; Body: { userId: string } }>(
      `/v1/chatrooms/:roomId/${op}`,
      { schema: change(op === 'kick' ? "Remove a user's connections from the room" : op === 'ban' ? 'Kick a user and refuse their joins' : 'Lift a ban', userBody) },
      async (req, reply) => run(reply, caller(req).appKey, req.params.roomId, op, { userId: req.body.userId }),
    );
  }

  api.post<{ Params: Params; Body: { userId: string; until: number } }>(
    '/v1/chatrooms/:roomId/mute',
    { schema: change('Mute a user until an instant (ms since the epoch; 0 unmutes)', { required: ['userId', 'until'], properties: { userId: ID, until: { type: 'integer', minimum: 0 } } }) },
    async (req, reply) => run(reply, caller(req).appKey, req.params.roomId, 'mute', { userId: req.body.userId, until: req.body.until }),
  );

  api.put<{ Params: Params; Body: { attrs: Record<string, string> } }>(
    '/v1/chatrooms/:roomId/attrs',
    {
      schema: change('Set attributes (members get tidings.room.attrs_set)', {
        required: ['attrs'],
        properties: { attrs: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', maxLength: 1024 } } },
      }),
    },
    async (req, reply) => run(reply, caller(req).appKey, req.params.roomId, 'set_attrs', { attrs: req.body.attrs }),
  );

  api.post<{ Params: Params; Body: { keys: string[] } }>(
    '/v1/chatrooms/:roomId/attrs/delete',
    { schema: change('Delete attributes (members get tidings.room.attrs_deleted)', { required: ['keys'], properties: { keys: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 128 } } } }) },
    async (req, reply) => run(reply, caller(req).appKey, req.params.roomId, 'delete_attrs', { keys: req.body.keys }),
  );

  api.post<{ Params: Params; Body: RoomSendBody }>(
    '/v1/chatrooms/:roomId/messages',
    {
      schema: {
        summary: "Send into a room as the app (@system) or on behalf of a user, who need not be joined; a banned user is refused, a muted one too, and the room's overload policy applies",
        tags,
        params: ROOM_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'content', 'idempotencyKey'],
          properties: {
            from: { ...ID, description: 'The user the message is from; the app itself (@system) when omitted.' },
            ...SEND_FIELDS,
            priority: { type: 'string', enum: ['high', 'normal', 'low'], default: 'normal', description: 'Under overload low is shed first, high never.' },
          },
        },
        response: { 200: ROOM_SEND_RESULT, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const { appKey } = caller(req);
      const { roomId } = req.params;
      const from = req.body.from ?? SYSTEM_SENDER;
      const content = contentOf(req.body);
      if (!content) return sendError(reply, 'protocol.invalid_request', 'content is not base64');
      if (d.users.isDeleted(appKey, from)) return sendError(reply, 'user.deleted', `user ${from} was deleted`);
      const body = { deviceId: API_DEVICE, clientMsgId: req.body.idempotencyKey, type: req.body.type, content, priority: PRIORITY[req.body.priority], flags: req.body.flags };
      const r = await rooms.post(appKey, roomId, from, body);
      if (!r.ok) return sendError(reply, r.code, r.message);
      return { convId: `r:${roomId}`, seq: r.seq, msgId: r.msgId, ts: r.ts, duplicate: r.duplicate, shed: r.shed };
    },
  );
}
