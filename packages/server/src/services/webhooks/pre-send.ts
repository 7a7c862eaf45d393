import type { ErrorCode } from '@tidings/protocol';
import type { AppRecord, WebhookConfig } from '../../storage/port.ts';
import type { SendDraft } from '../send-path.ts';
import { postSigned, webhookHeaders } from './sign.ts';

/** What the pre-send hook decided. */
export type PreSendDecision =
  | { readonly ok: true; readonly draft: SendDraft }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

interface HookAnswer {
  action?: unknown;
  reason?: unknown;
  type?: unknown;
  content?: unknown;
  encoding?: unknown;
}

/**
 * Asks the app's pre-send hook about one send. The hook answers a 2xx with
 * `{"action":"allow"}`, `{"action":"reject","reason":"..."}` or
 * `{"action":"rewrite","type"?,"content"?,"encoding"?: "utf8"|"base64"}`.
 * A timeout, a non-2xx or an unreadable answer is a hook failure: with
 * `failOpen` the send goes on unchanged, else it is refused with the
 * retryable `send.hook_unavailable`.
 */
export async function callPreSend(
  fetchFn: typeof fetch,
  app: AppRecord,
  config: WebhookConfig,
  d: SendDraft,
  nowMs: number,
): Promise<PreSendDecision> {
  const body = JSON.stringify({
    event: 'pre_send',
    appKey: d.appKey,
    convId: d.convId,
    senderId: d.senderId,
    senderDevice: d.senderDevice,
    clientMsgId: d.clientMsgId,
    type: d.type,
    content: Buffer.from(d.content).toString('base64'),
    flags: d.flags,
  });
  const headers = { ...webhookHeaders(app.appKey, app.appSecret, body, nowMs), 'x-tidings-event': 'pre_send', 'x-tidings-idempotency-key': d.clientMsgId };
  const r = await postSigned(fetchFn, config.preSendUrl, headers, body, config.preSendTimeoutMs);
  const failed = (why: string): PreSendDecision =>
    config.failOpen ? { ok: true, draft: d } : { ok: false, code: 'send.hook_unavailable', message: `pre-send hook failed: ${why}` };
  if (r.status < 200 || r.status >= 300) return failed(r.error ?? `HTTP ${r.status}`);
  let answer: HookAnswer;
  try {
    answer = r.body.trim() === '' ? { action: 'allow' } : (JSON.parse(r.body) as HookAnswer);
  } catch {
    return failed('answer is not JSON');
  }
  switch (answer.action) {
    case 'allow':
    case undefined:
      return { ok: true, draft: d };
    case 'reject':
      return { ok: false, code: 'send.rejected_by_app', message: typeof answer.reason === 'string' && answer.reason ? answer.reason.slice(0, 500) : 'rejected by the app' };
    case 'rewrite': {
      const type = typeof answer.type === 'string' ? answer.type : d.type;
      let content = d.content;
      if (typeof answer.content === 'string') {
        content = answer.encoding === 'base64' ? new Uint8Array(Buffer.from(answer.content, 'base64')) : new TextEncoder().encode(answer.content);
      }
      return { ok: true, draft: { ...d, type, content } };
    }
    default:
      return failed('unknown action');
  }
}
