import { createHmac, timingSafeEqual } from 'node:crypto';
import { SIGNED_HEADERS, canonicalString, type RequestParts } from '@tidings/server-sdk';

/**
 * The server API's request signature (docs/server-api.md). The canonical
 * string comes from the server SDK, so client and server cannot drift apart.
 *
 * ```
 * TIDINGS-HMAC-SHA256\n
 * <appKey>\n<timestamp ms>\n<nonce>\n<METHOD>\n<path as sent>\n<canonical query>\n<hex sha256(body)>
 * ```
 */
export { SIGNATURE_SCHEME, canonicalQuery, canonicalString } from '@tidings/server-sdk';

/** Header names of a signed request (lower case, as Node presents them). */
export const HEADERS = SIGNED_HEADERS;

/** Timestamps further than this from the server clock (either way) are refused. */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

/** A nonce: 16 to 64 characters of letters, digits, `_` and `-`. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** The parts a signature covers (the server SDK's definition: one canonical form for both sides). */
export type SignedParts = RequestParts;

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
