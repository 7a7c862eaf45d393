import { createHash, createHmac } from 'node:crypto';

/** Scheme of the callback signature (the server SDK's `verifyWebhook` checks it). */
export const WEBHOOK_SCHEME = 'TIDINGS-WEBHOOK-HMAC-SHA256';

/**
 * Headers signing one callback body with the app secret:
 * hex HMAC-SHA256(secret, "TIDINGS-WEBHOOK-HMAC-SHA256\n<appKey>\n<timestamp>\n<hex sha256(body)>").
 */
export function webhookHeaders(appKey: string, secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = String(nowMs);
  const digest = createHash('sha256').update(body).digest('hex');
  const signature = createHmac('sha256', secret).update(`${WEBHOOK_SCHEME}\n${appKey}\n${timestamp}\n${digest}`).digest('hex');
  return {
    'content-type': 'application/json',
    'x-tidings-app': appKey,
    'x-tidings-timestamp': timestamp,
    'x-tidings-signature': signature,
  };
}

/** Only http(s) URLs are called. */
export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** What one POST gave: the status (0 when no answer) and up to 64 KiB of the body. */
export interface PostResult {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

/** POSTs a signed JSON body with a timeout; never throws. */
export async function postSigned(
  fetchFn: typeof fetch,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PostResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchFn(url, { method: 'POST', headers, body, redirect: 'manual', signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
    const text = (await res.text()).slice(0, 65_536);
    return { status: res.status, body: text };
  } catch (err) {
    return { status: 0, body: '', error: timeout.aborted ? `timeout after ${timeoutMs} ms` : String((err as Error).message ?? err) };
  }
}
