import { createAdminClient, createServerClient, newNonce, signRequest, type AppWithSecret, type ServerClient } from '@tidings/server-sdk';
import { testNode } from './node.ts';

/** A node with two apps (A and B) and a server SDK client for each. */
export async function apiNode() {
  const node = await testNode();
  const baseUrl = node.info.httpUrl;
  const admin = createAdminClient({ baseUrl, operatorToken: node.info.operatorToken!, retries: 0 });
  const appA = await admin.apps.create('A');
  const appB = await admin.apps.create('B');
  const client = (app: AppWithSecret): ServerClient => createServerClient({ baseUrl, appKey: app.appKey, appSecret: app.appSecret, retries: 0 });
  return { node, baseUrl, admin, appA, appB, a: client(appA), b: client(appB) };
}

/** The parts of one hand-made signed request; tests change one after signing. */
export interface RawSigned {
  appKey: string;
  timestamp: string;
  nonce: string;
  method: string;
  url: string;
  body: string;
  signature?: string;
}

/** Signs `r` with `secret` (unless it already has a signature) and sends it; resolves with status and JSON body. */
export async function sendSigned(baseUrl: string, secret: string, r: RawSigned, tamper?: (r: RawSigned) => void) {
  const body = new TextEncoder().encode(r.body);
  const headers = signRequest(secret, { ...r, body });
  const sent: RawSigned = { ...r, signature: r.signature ?? headers['x-tidings-signature']! };
  tamper?.(sent);
  const res = await fetch(baseUrl + sent.url, {
    method: sent.method,
    headers: {
      'x-tidings-app': sent.appKey,
      'x-tidings-timestamp': sent.timestamp,
      'x-tidings-nonce': sent.nonce,
      'x-tidings-signature': sent.signature!,
      ...(sent.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(sent.body ? { body: sent.body } : {}),
  });
  return { status: res.status, body: (await res.json()) as { code?: string } & Record<string, unknown> };
}

/** A fresh request template for app `appKey`. */
export function template(appKey: string, over: Partial<RawSigned> = {}): RawSigned {
  return { appKey, timestamp: String(Date.now()), nonce: newNonce(), method: 'GET', url: '/v1/users/alice', body: '', ...over };
}
