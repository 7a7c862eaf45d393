import type { AppRecord } from '../storage/port.ts';
import { ConfigError } from './load.ts';

/** Shortest operator credential production accepts. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

/** Values people paste from examples; never accepted in production. */
const WELL_KNOWN = ['changeme', 'change-me', 'secret', 'password', 'operator', 'tidings', 'admin', 'default', 'test', 'dev'];

function weak(secret: string): boolean {
  const s = secret.trim().toLowerCase();
  return s.length < MIN_OPERATOR_TOKEN_LENGTH || WELL_KNOWN.some((w) => s.includes(w) && s.replaceAll(w, '').length < 8) || new Set(s).size < 8;
}

/**
 * Production refuses default or empty secrets: the operator credential must be
 * set and strong, and no enabled app may have an empty secret or be the
 * development app (whose secret development mode wrote to runtime.json).
 *
 * @throws {ConfigError} naming what to fix.
 */
export function assertProductionSecrets(operatorToken: string, apps: readonly AppRecord[]): void {
  if (operatorToken === '') throw new ConfigError('production mode needs operatorToken (TIDINGS_OPERATOR_TOKEN)');
  if (weak(operatorToken)) {
    throw new ConfigError(`operatorToken is too weak for production: use at least ${MIN_OPERATOR_TOKEN_LENGTH} random characters`);
  }
  for (const app of apps) {
    if (app.disabled) continue;
    if (app.appSecret.trim() === '') throw new ConfigError(`app ${app.appKey} has an empty secret; rotate it before running in production`);
    if (app.name === 'dev') {
      throw new ConfigError(`the development app ${app.appKey} is enabled; disable it (tidings app disable ${app.appKey}) before running in production`);
    }
  }
}
