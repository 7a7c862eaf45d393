import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: the server signs each callback to the app backend with
 * the app secret; the backend checks it before trusting the body.
 *
 * ```
 * x-tidings-timestamp: <ms since the epoch>
 * x-tidings-signature: hex HMAC-SHA256(appSecret, "TIDINGS-WEBHOOK-HMAC-SHA256\n<appKey>\n<timestamp>\n<hex sha256(body)>")
 * ```
 */
export const WEBHOOK_SCHEME = 'TIDINGS-WEBHOOK-HMAC-SHA256';

/** How far a webhook timestamp may be from the receiver's clock by default: 5 minutes. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;

/** Why a webhook was refused. */
export type WebhookVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

function expected(appKey: string, secret: string, timestamp: string, body: Uint8Array | string): Buffer {
  const digest = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret).update(`${WEBHOOK_SCHEME}\n${appKey}\n${timestamp}\n${digest}`).digest();
}

/** The headers that sign a webhook body (used by the server; handy in tests). */
export function signWebhook(appKey: string, secret: string, body: Uint8Array | string, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(nowMs);
  return { 'x-tidings-timestamp': timestamp, 'x-tidings-signature': expected(appKey, secret, timestamp, body).toString('hex') };
}

/**
 * Checks a webhook's signature over the RAW body bytes (before any JSON
 * parsing), in constant time, against every given secret (pass the old one
 * too during a secret rotation). Retried callbacks carry the same
 * idempotency key in the body; deduplicate on it.
 *
 * @example
 * ```ts
 * const v = verifyWebhook({ appKey, secrets: [appSecret], headers: req.headers, body: rawBody });
 * if (!v.ok) return res.writeHead(401).end();
 * ```
 */
export function verifyWebhook(input: {
  readonly appKey: string;
  readonly secrets: readonly string[];
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array | string;
  readonly nowMs?: number;
  readonly toleranceMs?: number;
}): WebhookVerdict {
  const ts = input.headers['x-tidings-timestamp'];
  const sig = input.headers['x-tidings-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string' || !/^\d{1,16}$/.test(ts) || !/^[0-9a-f]{64}$/.test(sig)) {
    return { ok: false, reason: 'missing_headers' };
  }
  if (Math.abs((input.nowMs ?? Date.now()) - Number(ts)) > (input.toleranceMs ?? WEBHOOK_TOLERANCE_MS)) return { ok: false, reason: 'stale_timestamp' };
  const got = Buffer.from(sig, 'hex');
  let ok = false;
  for (const secret of input.secrets) ok = timingSafeEqual(got, expected(input.appKey, secret, ts, input.body)) || ok;
  return ok ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
