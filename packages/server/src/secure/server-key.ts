import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The node's long-term Ed25519 identity: it signs every secure-session handshake. */
export interface ServerKey {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The public key as base64url: what clients pin (`serverKey`). */
  readonly publicKeyText: string;
  /** Where it came from. */
  readonly path: string;
  /** True when this start generated it. */
  readonly generated: boolean;
}

/** The server key file is missing, unreadable or not an Ed25519 private key. */
export class ServerKeyError extends Error {
  override readonly name = 'ServerKeyError';
}

/** Raw 32-byte public key of an Ed25519 or X25519 key object. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

/**
 * Loads the long-term key from `file` (PKCS#8 PEM) or, when no file is
 * configured, from `<dataDir>/server-key.pem`, generating that one (mode
 * 0600) on first start. A configured file must exist: production supplies
 * its key and never silently gets a new identity.
 */
export function loadServerKey(file: string, dataDir: string): ServerKey {
  const configured = file !== '';
  const path = configured ? file : join(dataDir, 'server-key.pem');
  let generated = false;
  if (!existsSync(path)) {
    if (configured) throw new ServerKeyError(`serverKeyFile ${path} does not exist`);
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    generated = true;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (err) {
    throw new ServerKeyError(`cannot read the server key ${path}: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new ServerKeyError(`${path} is not an Ed25519 private key`);
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { privateKey, publicKey, publicKeyText: Buffer.from(publicKey).toString('base64url'), path, generated };
}
