import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Request signing of the Tidings server API. The signed string is
 *
 * ```
 * TIDINGS-HMAC-SHA256\n<appKey>\n<timestamp ms>\n<nonce>\n<METHOD>\n<path as sent>\n<canonical query>\n<hex sha256(body)>
 * ```
 *
 * and the signature is its lower-case hex HMAC-SHA256 under the app secret.
 */
export const SIGNATURE_SCHEME = 'TIDINGS-HMAC-SHA256';

/** Header names of a signed request. */
export const SIGNED_HEADERS = {
  app: 'x-tidings-app',
  timestamp: 'x-tidings-timestamp',
  nonce: 'x-tidings-nonce',
  signature: 'x-tidings-signature',
} as const;

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The canonical query: pairs sorted by key then value, RFC 3986 encoded, joined by `&`. */
export function canonicalQuery(rawQuery: string): string {
  const pairs = [...new URLSearchParams(rawQuery)];
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

/** Everything a signature covers. */
export interface RequestParts {
  readonly appKey: string;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
  /** 16-64 characters of `A-Z a-z 0-9 _ -`, never reused. */
  readonly nonce: string;
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/v1/users/alice?x=1`. */
  readonly url: string;
  readonly body: Uint8Array;
}

/** The string that is signed. */
export function canonicalString(p: RequestParts): string {
  const q = p.url.indexOf('?');
  return [
    SIGNATURE_SCHEME,
    p.appKey,
    p.timestamp,
    p.nonce,
    p.method.toUpperCase(),
    q < 0 ? p.url : p.url.slice(0, q),
    canonicalQuery(q < 0 ? '' : p.url.slice(q + 1)),
    createHash('sha256').update(p.body).digest('hex'),
  ].join('\n');
}

/** A fresh random nonce (128 bits, base64url). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The headers that sign one request.
 *
 * @example
 * ```ts
 * const headers = signRequest('s3cret', { appKey, timestamp: String(Date.now()), nonce: newNonce(), method: 'GET', url: '/v1/users/alice', body: new Uint8Array() });
 * ```
 */
export function signRequest(appSecret: string, p: RequestParts): Record<string, string> {
  return {
    [SIGNED_HEADERS.app]: p.appKey,
    [SIGNED_HEADERS.timestamp]: p.timestamp,
    [SIGNED_HEADERS.nonce]: p.nonce,
    [SIGNED_HEADERS.signature]: createHmac('sha256', appSecret).update(canonicalString(p)).digest('hex'),
  };
}
