import { randomBytes } from 'node:crypto';
import type { AppRecord } from '../storage/port.ts';

/** A new app with random key, secret and token key. */
export function newApp(name: string, nowMs: number = Date.now()): AppRecord {
  return {
    appKey: 'app_' + randomBytes(9).toString('base64url'),
    name,
    appSecret: randomBytes(32).toString('base64url'),
    tokenKey: randomBytes(32).toString('base64url'),
    disabled: false,
    createdAt: nowMs,
  };
}
