import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import type { ErrorCode } from '@tidings/protocol';
import { isValidId } from '@tidings/protocol';
import type { AppRecord, UserRecord } from '../storage/port.ts';
import { verifyHs256 } from './hs256.ts';

/** Issuer claim of every user token. */
export const TOKEN_ISSUER = 'tidings';

/** Who a valid token speaks for. */
export interface TokenClaims {
  readonly appKey: string;
  readonly userId: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/** Outcome of verifying a token: claims, or the error code to report. */
export type VerifyResult = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly code: ErrorCode };

function keyBytes(app: Pick<AppRecord, 'tokenKey'>): Uint8Array {
  return Buffer.from(app.tokenKey, 'base64url');
}

/** Verification keys by token key (a rotated key is another entry; the oldest goes when full). */
const verifyKeys = new Map<string, KeyObject>();
const MAX_VERIFY_KEYS = 1024;

function verifyKey(app: Pick<AppRecord, 'tokenKey'>): KeyObject {
  let k = verifyKeys.get(app.tokenKey);
  if (k) return k;
  if (verifyKeys.size >= MAX_VERIFY_KEYS) verifyKeys.delete(verifyKeys.keys().next().value!);
  k = createSecretKey(keyBytes(app));
  verifyKeys.set(app.tokenKey, k);
  return k;
}

/**
 * Issues a user token: a JWT signed with the app's own key (HS256), audience
 * = app key, subject = user id.
 */
export async function issueUserToken(
  app: Pick<AppRecord, 'appKey' | 'tokenKey'>,
  userId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): Promise<string> {
  if (!isValidId(userId)) throw new TypeError(`invalid user id ${JSON.stringify(userId)}`);
  const iat = Math.floor(nowMs / 1000);
  // iat has whole seconds; revocation compares milliseconds, so a token issued
  // just after a revocation in the same second stays valid.
  return new SignJWT({ iat_ms: nowMs })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(app.appKey)
    .setSubject(userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(keyBytes(app));
}

/**
 * Verifies a token. `findApp` looks the app up by the token's audience; the
 * signature must then verify under THAT app's key, so a token of app A can
 * never act in app B. Only HS256 is accepted (no `none`, no key confusion).
 * With `findUser`, a deleted user gets `auth.user_deleted` (whatever the
 * token's age), a blocked user `auth.user_blocked`, and a token issued
 * before the user's revocation instant `auth.token_revoked`.
 */
export async function verifyUserToken(
  token: string,
  findApp: (appKey: string) => Promise<AppRecord | undefined>,
  nowMs: number = Date.now(),
  findUser?: (appKey: string, userId: string) => Promise<UserRecord | undefined>,
): Promise<VerifyResult> {
  if (!token) return { ok: false, code: 'auth.token_missing' };
  let aud: unknown;
  try {
    aud = decodeJwt(token).aud;
  } catch {
    return { ok: false, code: 'auth.token_invalid' };
  }
  if (typeof aud !== 'string' || aud === '') return { ok: false, code: 'auth.token_invalid' };
  const app = await findApp(aud);
  if (!app) return { ok: false, code: 'auth.app_unknown' };
  if (app.disabled) return { ok: false, code: 'auth.app_disabled' };
  const verified = verifyHs256(token, verifyKey(app), { issuer: TOKEN_ISSUER, audience: app.appKey, now: Math.floor(nowMs / 1000) });
  if (!verified.ok) return { ok: false, code: verified.expired ? 'auth.token_expired' : 'auth.token_invalid' };
  const { sub, exp, iat, iat_ms: iatMs } = verified.payload;
  if (typeof sub !== 'string' || !isValidId(sub) || typeof exp !== 'number') return { ok: false, code: 'auth.token_invalid' };
  try {
    const user = findUser ? await findUser(app.appKey, sub) : undefined;
    if (user && user.deletedAt > 0) return { ok: false, code: 'auth.user_deleted' };
    if (user?.blocked) return { ok: false, code: 'auth.user_blocked' };
    if (user && user.tokensValidAfter > 0) {
      const issuedMs = typeof iatMs === 'number' ? iatMs : typeof iat === 'number' ? iat * 1000 : 0;
      if (issuedMs < user.tokensValidAfter) return { ok: false, code: 'auth.token_revoked' };
    }
  } catch {
    return { ok: false, code: 'auth.token_invalid' };
  }
  return { ok: true, claims: { appKey: app.appKey, userId: sub, exp } };
}
