import { SignJWT, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { ErrorCode } from '@tidings/protocol';
import { isValidId } from '@tidings/protocol';
import type { AppRecord, UserRecord } from '../storage/port.ts';

/** Issuer claim of every user token. */
export const TOKEN_ISSUER = 'tidings';
const ALGORITHMS = ['HS256'];

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

/** Imported verification keys by token key: importing the raw bytes on every connect doubled the crypto work of one. */
const verifyKeys = new Map<string, Promise<CryptoKey>>();
const MAX_VERIFY_KEYS = 1024;

function verifyKey(app: Pick<AppRecord, 'tokenKey'>): Promise<CryptoKey> {
  let k = verifyKeys.get(app.tokenKey);
  if (k) return k;
  // A rotated key is another entry; the oldest entry goes when the map is full.
  if (verifyKeys.size >= MAX_VERIFY_KEYS) verifyKeys.delete(verifyKeys.keys().next().value!);
  k = crypto.subtle.importKey('raw', Buffer.from(app.tokenKey, 'base64url'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  verifyKeys.set(app.tokenKey, k);
  k.catch(() => verifyKeys.delete(app.tokenKey));
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
  try {
    const { payload } = await jwtVerify(token, await verifyKey(app), {
      algorithms: ALGORITHMS,
      issuer: TOKEN_ISSUER,
      audience: app.appKey,
      currentDate: new Date(nowMs),
      requiredClaims: ['sub', 'exp'],
    });
    if (typeof payload.sub !== 'string' || !isValidId(payload.sub) || typeof payload.exp !== 'number') {
      return { ok: false, code: 'auth.token_invalid' };
    }
    const user = findUser ? await findUser(app.appKey, payload.sub) : undefined;
    if (user && user.deletedAt > 0) return { ok: false, code: 'auth.user_deleted' };
    if (user?.blocked) return { ok: false, code: 'auth.user_blocked' };
    if (user && user.tokensValidAfter > 0) {
      const issuedMs = typeof payload.iat_ms === 'number' ? payload.iat_ms : (payload.iat ?? 0) * 1000;
      if (issuedMs < user.tokensValidAfter) return { ok: false, code: 'auth.token_revoked' };
    }
    return { ok: true, claims: { appKey: app.appKey, userId: payload.sub, exp: payload.exp } };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, code: 'auth.token_expired' };
    return { ok: false, code: 'auth.token_invalid' };
  }
}
