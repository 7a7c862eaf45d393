import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The master key setting is malformed or missing where it is required. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}

/** Where the node's master key came from. */
export interface MasterKey {
  readonly key: Uint8Array | undefined;
  readonly source: 'config' | 'generated' | 'file' | 'off';
}

/**
 * The master key that wraps every app's data keys (encryption at rest).
 * - configured (`masterKey`, base64 of 32 bytes): used as is;
 * - embedded development node without one: `<dataDir>/master.key`, generated (0600) on first start;
 * - cluster without one: every node must hold the same key, so none is made up:
 *   development runs without encryption at rest (and says so), production refuses to start.
 */
export function loadMasterKey(opts: { configured: string; dataDir: string; cluster: boolean; production: boolean }): MasterKey {
  if (opts.configured !== '') {
    const key = Buffer.from(opts.configured, 'base64');
    if (key.length !== 32) throw new MasterKeyError('masterKey must be 32 bytes, base64 encoded (e.g. `openssl rand -base64 32`)');
    return { key, source: 'config' };
  }
  if (opts.production) throw new MasterKeyError('production mode needs masterKey (TIDINGS_MASTER_KEY): `openssl rand -base64 32`');
  if (opts.cluster) return { key: undefined, source: 'off' };
  const path = join(opts.dataDir, 'master.key');
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new MasterKeyError(`${path} does not hold a 32-byte base64 key`);
    return { key, source: 'file' };
  }
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return { key, source: 'generated' };
}
