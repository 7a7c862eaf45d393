import { MAX_ID_LENGTH, type ConversationKind, type ErrorCode } from '@tidings/protocol';
import type { Logger } from '../log/logger.ts';
import type { Bus } from '../bus/port.ts';
import { userTopic } from '../bus/topics.ts';
import { MESSAGE_FLAG_RECALLED, type GroupSendRules, type StoredMessage } from '../storage/port.ts';
import type { CommitQueue } from './commit-queue.ts';
import { pushFrame } from './wire.ts';
import type { SendGate } from './webhooks/send-gate.ts';

/** One send, from a device (WebSocket) or the app's backend (server API). Permissions are already checked. */
export interface SendDraft {
  readonly appKey: string;
  readonly convId: string;
  readonly kind: ConversationKind;
  readonly members: readonly string[];
  readonly senderId: string;
  readonly senderDevice: string;
  /** Dedupe key: the SDK's clientMsgId, or the server API's idempotency key. */
  readonly clientMsgId: string;
  /** Per (device, conversation); 0 for server API sends (the next one, see port.ts). */
  readonly senderSeq: number;
  readonly type: string;
  readonly content: Uint8Array;
  readonly flags: number;
  readonly recallsSeq?: number;
  /** Group conversations: membership check and change, applied inside the commit (storage port). */
  readonly group?: GroupSendRules;
  /** The sending connection, which gets the ack instead of a push. */
  readonly skipConnection?: string;
  /** Set by the send gate: the app wants a message callback (outbox entry in the commit). */
  readonly webhook?: boolean;
  /** Set by the send gate once the draft passed it (and the app's pre-send hook). */
  readonly gated?: boolean;
}

/** What became of a send. */
export type SendResult =
  | { readonly ok: true; readonly message: StoredMessage; readonly duplicate: boolean }
  | { readonly ok: false; readonly code: ErrorCode; readonly message?: string; readonly expectedSenderSeq?: number };

/** Options of {@link createSendPath}. */
export interface SendPathOptions {
  readonly bus: Bus;
  readonly commits: CommitQueue;
  readonly log: Logger;
  readonly maxContentBytes: number;
  readonly newMsgId: () => string;
  readonly now: () => number;
  readonly onStored?: () => void;
  /** Webhook flag and pre-send hook (services/webhooks/send-gate.ts), between validation and the commit. */
  readonly gate?: SendGate;
  /** Called after a commit stored a message with an outbox entry (wakes the delivery worker). */
  readonly onWebhookQueued?: () => void;
  /** True for a deleted user: private and system conversations with one are refused (`user.deleted`). */
  readonly isDeleted?: (appKey: string, userId: string) => boolean;
}

const MAX_TYPE_LENGTH = 64;

/** Why a send's fields are refused (clientMsgId, type, content size), or undefined: every send path checks these alike. */
export function sendFieldsError(
  d: { readonly clientMsgId: string; readonly type: string; readonly content: Uint8Array },
  maxContentBytes: number,
): { readonly code: ErrorCode; readonly message?: string } | undefined {
  if (!d.clientMsgId || d.clientMsgId.length > MAX_ID_LENGTH) return { code: 'protocol.invalid_request', message: 'clientMsgId must be 1-128 characters' };
  if (!d.type || d.type.length > MAX_TYPE_LENGTH) return { code: 'protocol.invalid_request', message: 'type must be 1-64 characters' };
  if (d.content.byteLength > maxContentBytes) return { code: 'send.content_too_large' };
  return undefined;
}

/**
 * The one send path shared by the WebSocket gateway and the server API:
 * validate, group-commit (seq, row and dedupe record in one transaction),
 * then push to every member's devices over the bus. `done` is called once,
 * only after the commit is durable, in submission order, and synchronously
 * BEFORE the push is published: a sender's ack always precedes pushes of
 * later messages on its own connection.
 */
export function createSendPath(o: SendPathOptions) {
  let draining = false;

  function send(d: SendDraft, done: (r: SendResult) => void): void {
    const fail = (code: ErrorCode, message?: string): void => done({ ok: false, code, ...(message ? { message } : {}) });
    if (draining) return fail('server.shutting_down');
    const bad = sendFieldsError(d, o.maxContentBytes);
    if (bad) return fail(bad.code, bad.message);
    if (!Number.isSafeInteger(d.senderSeq) || d.senderSeq < 0) return fail('protocol.invalid_request', 'senderSeq must be >= 1');
    // Groups are left alone: their member lists live in the commit, and a deleted user leaves them when deleted (groups.removeUser).
    if (o.isDeleted && (d.kind === 'private' || d.kind === 'system')) {
      const gone = d.members.find((u) => o.isDeleted!(d.appKey, u));
      if (gone !== undefined) return fail('user.deleted', `user ${gone} was deleted`);
    }
    // A rewritten draft comes back through here, so it is validated again.
    if (o.gate && !d.gated) return o.gate.admit(d, done, (next) => send(next, done));
    {
      const resolve = done;
      const accepted = o.commits.submit(
        {
          appKey: d.appKey,
          convId: d.convId,
          kind: d.kind,
          members: d.members,
          senderId: d.senderId,
          senderDevice: d.senderDevice,
          clientMsgId: d.clientMsgId,
          senderSeq: d.senderSeq,
          type: d.type,
          content: d.content,
          // The recalled bit is the server's to set.
          flags: (d.flags & ~MESSAGE_FLAG_RECALLED) >>> 0,
          msgId: o.newMsgId(),
          ts: o.now(),
          ...(d.recallsSeq !== undefined ? { recallsSeq: d.recallsSeq } : {}),
          ...(d.webhook ? { webhook: true } : {}),
          ...(d.group ? { group: d.group } : {}),
        },
        (outcome, err) => {
          if (!outcome) {
            o.log.error({ err, convId: d.convId }, 'commit failed');
            return resolve({ ok: false, code: 'storage.unavailable' });
          }
          switch (outcome.status) {
            case 'stored': {
              resolve({ ok: true, message: outcome.message, duplicate: false });
              o.onStored?.();
              if (d.webhook) o.onWebhookQueued?.();
              const push = pushFrame(outcome.message);
              for (const user of outcome.recipients ?? d.members) {
                o.bus.publish({
                  topic: userTopic(d.appKey, user),
                  payload: push,
                  ...(d.skipConnection ? { skipConnection: d.skipConnection } : {}),
                });
              }
              return;
            }
            case 'duplicate':
              return resolve({ ok: true, message: outcome.message, duplicate: true });
            case 'refused':
              return resolve({ ok: false, code: outcome.code });
            case 'gap':
            case 'conflict':
              return resolve({
                ok: false,
                code: outcome.status === 'gap' ? 'send.sender_seq_gap' : 'send.sender_seq_conflict',
                expectedSenderSeq: outcome.expectedSenderSeq,
              });
          }
        },
      );
      if (!accepted) resolve({ ok: false, code: 'server.overloaded' });
    }
  }

  return {
    send,
    /** {@link send} as a promise. */
    sendAsync: (d: SendDraft): Promise<SendResult> => new Promise((resolve) => send(d, resolve)),
    /** Refuses new sends from now on; queued ones still commit and get answered. */
    async drain(): Promise<void> {
      draining = true;
      await o.gate?.drain();
      await o.commits.drain();
    },
  };
}

/** The shared send path. */
export type SendPath = ReturnType<typeof createSendPath>;
