import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ErrorCode } from '@tidings/protocol';
import { caller, type ApiDeps } from '../context.ts';
import { sendError } from '../errors.ts';
import { ERROR_RESPONSES, ID } from '../schemas.ts';
import { MAX_MEMBERS_PER_OP } from '../../services/groups.ts';
import { API_DEVICE, SYSTEM_SENDER, commitAndAnswer } from './messages.ts';
import { SEND_RESULT, IDEMPOTENCY_KEY } from '../schemas.ts';

const GROUP_PARAMS = { type: 'object', required: ['groupId'], properties: { groupId: ID } } as const;
const MEMBER_PARAMS = { type: 'object', required: ['groupId', 'userId'], properties: { groupId: ID, userId: ID } } as const;
const USERS = { type: 'array', minItems: 1, maxItems: MAX_MEMBERS_PER_OP, items: ID } as const;
const BY = { ...ID, description: 'Acting user, named in the stream entry; the app itself (@system) when omitted.' } as const;

/** The answer of a change: the seq of the stream entry that announced it (0 when nothing changed). */
const CHANGE_RESULT = {
  type: 'object',
  required: ['groupId', 'seq'],
  properties: { groupId: { type: 'string' }, seq: { type: 'integer' } },
} as const;

const MEMBER = {
  type: 'object',
  required: ['userId', 'role', 'joinedSeq', 'leftSeq', 'mutedUntil'],
  properties: {
    userId: { type: 'string' },
    role: { type: 'string', enum: ['owner', 'admin', 'member'] },
    joinedSeq: { type: 'integer', description: 'Seq of the entry that added the member.' },
    leftSeq: { type: 'integer' },
    mutedUntil: { type: 'integer', description: 'ms since the epoch; 0 when not muted.' },
  },
} as const;

const GROUP = {
  type: 'object',
  required: ['groupId', 'ownerId', 'name', 'extra', 'historyVisible', 'muteAll', 'exempt', 'dismissed', 'createdAt', 'memberCount'],
  properties: {
    groupId: { type: 'string' },
    ownerId: { type: 'string' },
    name: { type: 'string' },
    extra: { type: 'string' },
    historyVisible: { type: 'boolean', description: 'True: members added later read the whole history.' },
    muteAll: { type: 'boolean' },
    exempt: { type: 'array', items: { type: 'string' } },
    dismissed: { type: 'boolean' },
    createdAt: { type: 'integer' },
    memberCount: { type: 'integer' },
  },
} as const;

type Params = { groupId: string };
type MemberParams = Params & { userId: string };

/**
 * Groups: the same operations as the SDK's `client.groups`, run by the app
 * with owner rights (an optional `by` names the acting user in the stream
 * entry). Every change is an entry of the group's seq stream. Signed by the app.
 */
export function groupRoutes(api: FastifyInstance, d: ApiDeps): void {
  const tags = ['groups'];
  const groups = d.groups;
  if (!groups) return;
  const run = async (reply: FastifyReply, appKey: string, by: string | undefined, groupId: string, op: string, args: Record<string, unknown>) => {
    const r = await groups.run(appKey, { userId: by ?? SYSTEM_SENDER, api: true }, groupId, op, args);
    if (!r.ok) return sendError(reply, r.code as ErrorCode, r.message);
    return r.value;
  };
  const change = (summary: string, extra: Record<string, unknown> = {}) => ({ summary, tags, response: { 200: CHANGE_RESULT, ...ERROR_RESPONSES }, ...extra });

  api.post<{ Body: { groupId: string; owner: string; name?: string; extra?: string; members?: string[]; historyVisible?: boolean; by?: string } }>(
    '/v1/groups',
    {
      schema: change('Create a group (entry tidings.group.created at seq 1)', {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['groupId', 'owner'],
          properties: {
            groupId: ID,
            owner: ID,
            name: { type: 'string', maxLength: 256 },
            extra: { type: 'string', maxLength: 4096, description: 'App-defined JSON text.' },
            members: { ...USERS, minItems: 0 },
            historyVisible: { type: 'boolean', default: false, description: 'True: members added later read the whole history.' },
            by: BY,
          },
        },
      }),
    },
    async (req, reply) => {
      const { groupId, by, ...args } = req.body;
      return run(reply, caller(req).appKey, by ?? args.owner, groupId, 'create', args);
    },
  );

  api.get<{ Params: Params }>(
    '/v1/groups/:groupId',
    { schema: { summary: 'Group settings and member count', tags, params: GROUP_PARAMS, response: { 200: GROUP, ...ERROR_RESPONSES } } },
    async (req, reply) => run(reply, caller(req).appKey, undefined, req.params.groupId, 'info', {}),
  );

  api.patch<{ Params: Params; Body: { name?: string; extra?: string; historyVisible?: boolean; by?: string } }>(
    '/v1/groups/:groupId',
    {
      schema: change('Change name, extra or history visibility', {
        params: GROUP_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 256 }, extra: { type: 'string', maxLength: 4096 }, historyVisible: { type: 'boolean' }, by: BY },
        },
      }),
    },
    async (req, reply) => {
      const { by, ...args } = req.body ?? {};
      return run(reply, caller(req).appKey, by, req.params.groupId, 'update', args);
    },
  );

  api.delete<{ Params: Params }>(
    '/v1/groups/:groupId',
    { schema: change('Dismiss a group: nobody can send any more; the history stays readable', { params: GROUP_PARAMS }) },
    async (req, reply) => run(reply, caller(req).appKey, undefined, req.params.groupId, 'dismiss', {}),
  );

  api.get<{ Params: Params; Querystring: { after: string; limit: number } }>(
    '/v1/groups/:groupId/members',
    {
      schema: {
        summary: 'One page of current members, by user id',
        tags,
        params: GROUP_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { after: { type: 'string', maxLength: 128, default: '' }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['members', 'next'],
            properties: { members: { type: 'array', items: MEMBER }, next: { type: 'string', description: 'Pass as after for the next page; empty at the end.' } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req, reply) => run(reply, caller(req).appKey, undefined, req.params.groupId, 'members', { after: req.query.after, limit: req.query.limit }),
  );

  const usersBody = { type: 'object', additionalProperties: false, required: ['members'], properties: { members: USERS, by: BY } } as const;
  api.post<{ Params: Params; Body: { members: string[]; by?: string } }>(
    '/v1/groups/:groupId/members',
    { schema: change('Add members (a member added at seq N reads from N on unless history is visible)', { params: GROUP_PARAMS, body: usersBody }) },
    async (req, reply) => run(reply, caller(req).appKey, req.body.by, req.params.groupId, 'add', { members: req.body.members }),
  );

  api.post<{ Params: Params; Body: { members: string[]; by?: string } }>(
    '/v1/groups/:groupId/members/remove',
    { schema: change('Remove members: they get the removal entry, then nothing more', { params: GROUP_PARAMS, body: usersBody }) },
    async (req, reply) => run(reply, caller(req).appKey, req.body.by, req.params.groupId, 'remove', { members: req.body.members }),
  );

  // Checked as the member's own leave (the owner must transfer first), not with the API's owner rights.
  api.post<{ Params: MemberParams }>(
    '/v1/groups/:groupId/members/:userId/leave',
    { schema: change("Leave on a member's behalf: entry tidings.group.member_left by the member (remove is the admin's act); the owner must transfer first", { params: MEMBER_PARAMS }) },
    async (req, reply) => {
      const r = await groups.run(caller(req).appKey, { userId: req.params.userId, api: false }, req.params.groupId, 'leave', {});
      return r.ok ? r.value : sendError(reply, r.code, r.message);
    },
  );

  api.post<{ Params: Params; Body: { to: string; by?: string } }>(
    '/v1/groups/:groupId/transfer',
    {
      schema: change('Make another member the owner (the old owner becomes an admin)', {
        params: GROUP_PARAMS,
        body: { type: 'object', additionalProperties: false, required: ['to'], properties: { to: ID, by: BY } },
      }),
    },
    async (req, reply) => run(reply, caller(req).appKey, req.body.by, req.params.groupId, 'transfer', { to: req.body.to }),
  );

  api.put<{ Params: MemberParams; Body: { role: 'admin' | 'member'; by?: string } }>(
    '/v1/groups/:groupId/members/:userId/role',
    {
      schema: change("Set a member's role", {
        params: MEMBER_PARAMS,
        body: { type: 'object', additionalProperties: false, required: ['role'], properties: { role: { type: 'string', enum: ['admin', 'member'] }, by: BY } },
      }),
    },
    async (req, reply) => run(reply, caller(req).appKey, req.body.by, req.params.groupId, 'role', { userId: req.params.userId, role: req.body.role }),
  );

  api.put<{ Params: MemberParams; Body: { until: number; by?: string } }>(
    '/v1/groups/:groupId/members/:userId/mute',
    {
      schema: change('Mute a member until an instant (ms since the epoch; 0 unmutes)', {
        params: MEMBER_PARAMS,
        body: { type: 'object', additionalProperties: false, required: ['until'], properties: { until: { type: 'integer', minimum: 0 }, by: BY } },
      }),
    },
    async (req, reply) => run(reply, caller(req).appKey, req.body.by, req.params.groupId, 'mute', { userId: req.params.userId, until: req.body.until }),
  );

  api.put<{ Params: Params; Body: { on: boolean; exempt?: string[]; by?: string } }>(
    '/v1/groups/:groupId/mute',
    {
      schema: change('Mute or unmute every plain member, except an exempt list (owner and admins are never muted by it)', {
        params: GROUP_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['on'],
          properties: { on: { type: 'boolean' }, exempt: { type: 'array', maxItems: MAX_MEMBERS_PER_OP, items: ID }, by: BY },
        },
      }),
    },
    async (req, reply) => run(reply, caller(req).appKey, req.body.by, req.params.groupId, 'mute_all', { on: req.body.on, ...(req.body.exempt ? { exempt: req.body.exempt } : {}) }),
  );

  api.post<{ Body: { groupId: string; from?: string; type: string; content: string; encoding: 'utf8' | 'base64'; flags: number; idempotencyKey: string } }>(
    '/v1/messages/group',
    {
      schema: {
        summary: 'Send to a group on behalf of a member (checked like a device send), or as the app (@system) when from is omitted',
        tags: ['messages'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['groupId', 'type', 'content', 'idempotencyKey'],
          properties: {
            groupId: ID,
            from: ID,
            type: { type: 'string', minLength: 1, maxLength: 64 },
            content: { type: 'string', description: 'UTF-8 text, or base64 when encoding is base64.' },
            encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8' },
            flags: { type: 'integer', minimum: 0, maximum: 0x3fff_ffff, default: 0 },
            idempotencyKey: IDEMPOTENCY_KEY,
          },
        },
        response: { 200: SEND_RESULT, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.encoding === 'base64' && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(b.content)) return sendError(reply, 'protocol.invalid_request', 'content is not base64');
      const content = b.encoding === 'base64' ? new Uint8Array(Buffer.from(b.content, 'base64')) : new TextEncoder().encode(b.content);
      return commitAndAnswer(d, reply, {
        appKey: caller(req).appKey,
        convId: `g:${b.groupId}`,
        kind: 'group',
        members: [],
        senderId: b.from ?? SYSTEM_SENDER,
        senderDevice: API_DEVICE,
        clientMsgId: b.idempotencyKey,
        senderSeq: 0,
        type: b.type,
        content,
        flags: b.flags,
        group: { check: b.from ? 'member' : 'none' },
      });
    },
  );
}
