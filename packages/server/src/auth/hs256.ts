import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Outcome of {@link verifyHs256}: the payload, or whether the token only failed by expiring. */
export type Hs256Result =
  | { readonly ok: true; readonly payload: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly expired: boolean };

/** What the payload must say. */
export interface Hs256Expect {
  readonly issuer: string;
  readonly audience: string;
  /** Seconds since the epoch. */
  readonly now: number;
}

const INVALID = { ok: false, expired: false } as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a compact HS256 JWT synchronously with node:crypto: the same
 * verdicts as jose's `jwtVerify` with `algorithms: ['HS256']`, the issuer and
 * audience given and `sub` and `exp` required (hs256.test.ts holds the two
 * equal over generated tokens), without WebCrypto's thread-pool job per
 * token, which a reconnect storm paid 10,000 times on the event loop.
 * Stricter only where no issuer of ours goes: a header with `crit` and a
 * signature not in canonical base64url are refused. Only HS256 is accepted
 * (no `none`, no other algorithm); the MAC is compared in constant time
 * before the payload is even parsed.
 */
export function verifyHs256(token: string, key: KeyObject, expect: Hs256Expect): Hs256Result {
  const parts = token.split('.');
  if (parts.length !== 3) return INVALID;
  const [h, p, s] = parts as [string, string, string];
  const header = json(h);
  if (!header || header.alg !== 'HS256' || header.crit !== undefined) return INVALID;
  const mac = createHmac('sha256', key).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== mac.length || !timingSafeEqual(given, mac) || given.toString('base64url') !== s) return INVALID;
  const payload = json(p);
  if (!payload) return INVALID;
  const { iss, aud, sub, exp, nbf, iat } = payload;
  if (iss !== expect.issuer) return INVALID;
  if (!(aud === expect.audience || (Array.isArray(aud) && aud.includes(expect.audience)))) return INVALID;
  if (sub === undefined || typeof exp !== 'number') return INVALID;
  if (iat !== undefined && typeof iat !== 'number') return INVALID;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > expect.now)) return INVALID;
  if (exp <= expect.now) return { ok: false, expired: true };
  return { ok: true, payload };
}
