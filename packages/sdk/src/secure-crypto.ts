/**
 * The client side of the secure session on WebCrypto (browsers and Node
 * alike): X25519 key agreement, Ed25519 verification, HKDF-SHA256 and
 * AES-256-GCM. See docs/protocol.md, "Secure session".
 */
import {
  DIRECTION_SECRET_BYTES,
  isAllZero,
  isKeyLength,
  keyInfo,
  secureSalt,
  secureTranscript,
  type SecureWelcome,
  type TranscriptParts,
} from '@tidings/protocol';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** The keys of one direction. */
export interface DirectionKey {
  readonly key: CryptoKey;
  readonly keyId: Uint8Array;
}

/** A client handshake in progress. */
export interface WebHandshake {
  readonly hello: { readonly clientEphemeral: Uint8Array; readonly clientNonce: Uint8Array };
  /**
   * Verifies the welcome and derives both directions' keys; rejects with a
   * reason, a {@link ServerKeyMismatch} when the key presented is none of
   * `pinned`. `undefined` accepts any key: only for a caller that opted out
   * of pinning.
   */
  finish(w: SecureWelcome, pinned: readonly Uint8Array[] | undefined): Promise<{ send: DirectionKey; recv: DirectionKey }>;
}

/** The server presented a long-term key that is none of the pinned ones. */
export class ServerKeyMismatch extends Error {
  override readonly name = 'ServerKeyMismatch';
}

const bytes = (b: ArrayBuffer): Uint8Array => new Uint8Array(b);
const buf = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u) as Uint8Array<ArrayBuffer>;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Starts a handshake: a fresh ephemeral X25519 key pair and nonce. */
export async function startWebHandshake(): Promise<WebHandshake> {
  const pair = (await subtle().generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  const clientEphemeral = bytes(await subtle().exportKey('raw', pair.publicKey));
  const clientNonce = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const hello = { clientEphemeral, clientNonce };
  return {
    hello,
    async finish(w, pinned) {
      if (pinned && !pinned.some((k) => equal(k, w.serverKey))) throw new ServerKeyMismatch('the server key is not a pinned one');
      const serverKey = w.serverKey;
      if (!isKeyLength(w.serverEphemeral) || !isKeyLength(w.serverNonce) || !isKeyLength(serverKey)) throw new Error('malformed secure welcome');
      const parts: TranscriptParts = { ...hello, serverEphemeral: w.serverEphemeral, serverNonce: w.serverNonce, connectionId: w.connectionId, serverKey };
      const transcript = buf(secureTranscript(parts));
      const verifyKey = await subtle().importKey('raw', buf(serverKey), { name: 'Ed25519' }, false, ['verify']);
      if (!(await subtle().verify({ name: 'Ed25519' }, verifyKey, buf(w.signature), transcript))) throw new Error('bad handshake signature');
      const peer = await subtle().importKey('raw', buf(w.serverEphemeral), { name: 'X25519' }, false, []);
      const shared = bytes(await subtle().deriveBits({ name: 'X25519', public: peer }, pair.privateKey, 256));
      if (isAllZero(shared)) throw new Error('bad server ephemeral key');
      const ikm = await subtle().importKey('raw', buf(shared), 'HKDF', false, ['deriveBits']);
      const th = bytes(await subtle().digest('SHA-256', transcript));
      const salt = buf(secureSalt(hello.clientNonce, w.serverNonce));
      const one = async (dir: 'c2s' | 's2c'): Promise<DirectionKey> => {
        const out = bytes(await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: buf(keyInfo(dir, th)) }, ikm, DIRECTION_SECRET_BYTES * 8));
        const key = await subtle().importKey('raw', buf(out.subarray(0, 32)), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
        return { key, keyId: out.slice(32, 36) };
      };
      return { send: await one('c2s'), recv: await one('s2c') };
    },
  };
}

/** AES-256-GCM seal of `plain` with `header` as nonce source (bytes 1..13) and associated data. */
export async function sealWith(k: DirectionKey, header: Uint8Array, plain: Uint8Array): Promise<Uint8Array> {
  const h = buf(header);
  return bytes(await subtle().encrypt({ name: 'AES-GCM', iv: h.subarray(1), additionalData: h, tagLength: 128 }, k.key, buf(plain)));
}

/** AES-256-GCM open; rejects on a bad tag. */
export async function openWith(k: DirectionKey, header: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
  const h = buf(header);
  return bytes(await subtle().decrypt({ name: 'AES-GCM', iv: h.subarray(1), additionalData: h, tagLength: 128 }, k.key, buf(sealed)));
}
