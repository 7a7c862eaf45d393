import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The server API's request signature (docs/server-api.md). The server SDK
 * builds the same string; the integration tests prove the two agree.
 *
 * ```
 * TIDINGS-HMAC-SHA256\n
 * <appKey>\n<timestamp ms>\n<nonce>\n<METHOD>\n<path as sent>\n<canonical query>\n<hex sha256(body)>
 * ```
 */
export const SIGNATURE_SCHEME = 'TIDINGS-HMAC-SHA256';

/** Header names of a signed request (lower case, as Node presents them). */
export const HEADERS = {
  app: 'x-tidings-app',
  timestamp: 'x-tidings-timestamp',
  nonce: 'x-tidings-nonce',
  signature: 'x-tidings-signature',
} as const;

/** Timestamps further than this from the server clock (either way) are refused. */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

/** A nonce: 16 to 64 characters of letters, digits, `_` and `-`. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** RFC 3986 percent-encoding (encodeURIComponent leaves !'()* alone). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * The query in canonical form: decoded with URLSearchParams rules, pairs
 * sorted by key then value (UTF-16 code units), re-encoded per RFC 3986,
 * joined by `&`. Empty for no query.
 */
export function canonicalQuery(rawQuery: string): string {
  const pairs = [...new URLSearchParams(rawQuery)];
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

/** The parts a signature covers. */
export interface SignedParts {
  readonly appKey: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly method: string;
  /** Path and query exactly as sent on the request line, e.g. `/v1/users/a%20b?x=1`. */
  readonly url: string;
  readonly body: Uint8Array;
}

/** The string that is signed. */
export function canonicalString(p: SignedParts): string {
  const q = p.url.indexOf('?');
  const path = q < 0 ? p.url : p.url.slice(0, q);
  const query = q < 0 ? '' : p.url.slice(q + 1);
  return [
    SIGNATURE_SCHEME,
    p.appKey,
    p.timestamp,
    p.nonce,
    p.method.toUpperCase(),
    path,
    canonicalQuery(query),
    createHash('sha256').update(p.body).digest('hex'),
  ].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the canonical string under `secret` (UTF-8). */
export function sign(secret: string, p: SignedParts): string {
  return createHmac('sha256', secret).update(canonicalString(p)).digest('hex');
}

/** Constant-time check of a presented hex signature against any of `secrets`. */
export function signatureMatches(presented: string, secrets: readonly string[], p: SignedParts): boolean {
  if (!/^[0-9a-f]{64}$/.test(presented)) return false;
  const got = Buffer.from(presented, 'hex');
  let ok = false;
  // Check every secret (no early exit), so timing does not tell which matched.
  for (const secret of secrets) ok = timingSafeEqual(got, Buffer.from(sign(secret, p), 'hex')) || ok;
  return ok;
}
