import { createHash, timingSafeEqual } from 'node:crypto';
import type { AbuseLimits } from '../limits/abuse.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@tidings/protocol';
import type { AppRecord, Store } from '../storage/port.ts';
import { HEADERS, NONCE_PATTERN, TIMESTAMP_WINDOW_MS, signatureMatches } from './canonical.ts';
import { rawBody, setCaller } from './context.ts';
import { sendError } from './errors.ts';

/** Verdict on a signed request. */
export type SignedVerdict = { readonly ok: true; readonly app: AppRecord } | { readonly ok: false; readonly code: ErrorCode };

function header(req: FastifyRequest, name: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : '';
}

/**
 * Checks a signed request, in this order: headers well formed, app known,
 * signature (constant time, current secret and a rotated one in its grace
 * period), app enabled, timestamp within the window, nonce unused. The nonce
 * is recorded last, so only correctly signed requests can fill the nonce table.
 */
export async function verifySigned(req: FastifyRequest, store: Store, now: number): Promise<SignedVerdict> {
  const appKey = header(req, HEADERS.app);
  const timestamp = header(req, HEADERS.timestamp);
  const nonce = header(req, HEADERS.nonce);
  const signature = header(req, HEADERS.signature);
  if (!appKey || !/^\d{1,16}$/.test(timestamp) || !NONCE_PATTERN.test(nonce) || !signature) {
    return { ok: false, code: 'api.signature_invalid' };
  }
  const app = await store.getApp(appKey);
  if (!app) return { ok: false, code: 'auth.app_unknown' };
  const secrets = [app.appSecret];
  if (app.previousSecret && (app.previousSecretExpiresAt ?? 0) > now) secrets.push(app.previousSecret);
  const parts = { appKey, timestamp, nonce, method: req.method, url: req.url, body: rawBody(req) };
  if (!signatureMatches(signature.toLowerCase(), secrets, parts)) return { ok: false, code: 'api.signature_invalid' };
  if (app.disabled) return { ok: false, code: 'auth.app_disabled' };
  const ts = Number(timestamp);
  if (Math.abs(now - ts) > TIMESTAMP_WINDOW_MS) return { ok: false, code: 'api.timestamp_stale' };
  // Remember the nonce until its timestamp leaves the window (plus a second of slack).
  if (!(await store.claimNonce(appKey, nonce, ts + TIMESTAMP_WINDOW_MS + 1000, now))) return { ok: false, code: 'api.nonce_replayed' };
  return { ok: true, app };
}

/** A preValidation hook that admits only correctly signed requests. */
export function signedHook(store: Store, now: () => number, limits?: AbuseLimits) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const verdict = await verifySigned(req, store, now());
    // Returning the reply after sending it ends the request here.
    if (!verdict.ok) return sendError(reply, verdict.code);
    const limited = limits?.apiCall(verdict.app.appKey);
    if (limited) return sendError(reply, limited);
    setCaller(req, verdict.app);
    return undefined;
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A preValidation hook that admits only the operator credential (`Authorization: Bearer <token>`). */
export function operatorHook(operatorToken: string) {
  const expected = digest(operatorToken);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const auth = header(req, 'authorization');
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    // Hashing first gives equal lengths, so the comparison is constant time.
    if (!operatorToken || !presented || !timingSafeEqual(digest(presented), expected)) {
      return sendError(reply, 'api.operator_unauthorized');
    }
    return undefined;
  };
}
