import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import {
  DIRECTION_SECRET_BYTES,
  isAllZero,
  isKeyLength,
  keyInfo,
  secureSalt,
  secureTranscript,
  type SecureHello,
  type SecureWelcome,
  type TranscriptParts,
} from '@tidings/protocol';
import { rawPublicKey, type ServerKey } from './server-key.ts';
import { SecureChannel, type DirectionKeys } from './channel.ts';

/** The plain shape of a SecureWelcome (what goes into the frame). */
export interface WelcomeValues {
  readonly serverEphemeral: Uint8Array;
  readonly serverNonce: Uint8Array;
  readonly connectionId: string;
  readonly serverKey: Uint8Array;
  readonly signature: Uint8Array;
}

function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** HKDF-SHA256 of both directions from the shared secret, the nonces and the transcript hash. */
function deriveKeys(shared: Uint8Array, t: TranscriptParts, transcript: Uint8Array): { c2s: DirectionKeys; s2c: DirectionKeys } {
  const th = createHash('sha256').update(transcript).digest();
  const salt = secureSalt(t.clientNonce, t.serverNonce);
  const one = (dir: 'c2s' | 's2c'): DirectionKeys => {
    const out = new Uint8Array(hkdfSync('sha256', shared, salt, keyInfo(dir, th), DIRECTION_SECRET_BYTES));
    return { key: out.subarray(0, 32), keyId: out.subarray(32, 36) };
  };
  return { c2s: one('c2s'), s2c: one('s2c') };
}

/**
 * Server side: answers a SecureHello. Returns the SecureWelcome to send in
 * the clear and the channel (server seals s2c, opens c2s), or undefined
 * when the hello is malformed or contributes no key material.
 */
export function acceptSecureHello(key: ServerKey, hello: Pick<SecureHello, 'clientEphemeral' | 'clientNonce'>, connectionId: string):
  | { readonly welcome: WelcomeValues; readonly channel: SecureChannel }
  | undefined {
  if (!isKeyLength(hello.clientEphemeral) || !isKeyLength(hello.clientNonce)) return undefined;
  const eph = generateKeyPairSync('x25519');
  let shared: Uint8Array;
  try {
    shared = diffieHellman({ privateKey: eph.privateKey, publicKey: x25519Public(hello.clientEphemeral) });
  } catch {
    return undefined;
  }
  if (isAllZero(shared)) return undefined;
  const parts: TranscriptParts = {
    clientEphemeral: hello.clientEphemeral,
    clientNonce: hello.clientNonce,
    serverEphemeral: rawPublicKey(eph.publicKey),
    serverNonce: new Uint8Array(randomBytes(32)),
    connectionId,
    serverKey: key.publicKey,
  };
  const transcript = secureTranscript(parts);
  const keys = deriveKeys(shared, parts, transcript);
  return {
    welcome: { ...parts, signature: new Uint8Array(sign(null, transcript, key.privateKey)) },
    channel: new SecureChannel(keys.s2c, keys.c2s),
  };
}

/** A client handshake in progress (Node implementation, for tests and the load generator). */
export interface ClientHandshake {
  /** The SecureHello values to send. */
  readonly hello: { readonly clientEphemeral: Uint8Array; readonly clientNonce: Uint8Array };
  /**
   * Checks the server's answer against `pinnedKey` (or the key it presents
   * when none is pinned) and returns the channel (client seals c2s, opens
   * s2c), or a reason.
   */
  finish(welcome: Pick<SecureWelcome, 'serverEphemeral' | 'serverNonce' | 'connectionId' | 'serverKey' | 'signature'>, pinnedKey?: Uint8Array):
    | { readonly ok: true; readonly channel: SecureChannel }
    | { readonly ok: false; readonly message: string };
}

/** Starts a client handshake with node:crypto. */
export function startClientHandshake(): ClientHandshake {
  const eph = generateKeyPairSync('x25519');
  const hello = { clientEphemeral: rawPublicKey(eph.publicKey), clientNonce: new Uint8Array(randomBytes(32)) };
  return {
    hello,
    finish(w, pinnedKey) {
      const serverKey = pinnedKey ?? w.serverKey;
      if (pinnedKey && !Buffer.from(pinnedKey).equals(Buffer.from(w.serverKey))) return { ok: false, message: 'server key is not the pinned one' };
      if (!isKeyLength(w.serverEphemeral) || !isKeyLength(w.serverNonce) || !isKeyLength(serverKey)) return { ok: false, message: 'malformed welcome' };
      const parts: TranscriptParts = { ...hello, serverEphemeral: w.serverEphemeral, serverNonce: w.serverNonce, connectionId: w.connectionId, serverKey };
      const transcript = secureTranscript(parts);
      const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(serverKey).toString('base64url') }, format: 'jwk' });
      if (!verify(null, transcript, pub, w.signature)) return { ok: false, message: 'bad handshake signature' };
      let shared: Uint8Array;
      try {
        shared = diffieHellman({ privateKey: eph.privateKey, publicKey: x25519Public(w.serverEphemeral) });
      } catch {
        return { ok: false, message: 'bad server ephemeral key' };
      }
      if (isAllZero(shared)) return { ok: false, message: 'bad server ephemeral key' };
      const keys = deriveKeys(shared, parts, transcript);
      return { ok: true, channel: new SecureChannel(keys.c2s, keys.s2c) };
    },
  };
}
