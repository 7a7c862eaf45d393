import type { KeyObject } from 'node:crypto';
import { newWrappedKey, openContent, sealContent, sealedKeyId, unwrapKey, type WrappedKey } from '../crypto/envelope.ts';
import type { StoredMessage, UserProfile, UserRecord } from './port.ts';

/** Where an adapter keeps the wrapped data keys (never the plain ones). */
export interface KeyTable {
  list(appKey: string): Promise<WrappedKey[]>;
  /** Inserts a key; a key id that already exists is left alone (another node won the race). */
  insert(key: WrappedKey): Promise<void>;
}

/**
 * Message content at rest: sealed with the app's newest data key on write,
 * opened with the key its blob names on read (so rotation never strands old
 * data). `ensure()` loads (or creates) an app's keys before a synchronous
 * commit needs them. Without a master key content is stored as given.
 */
export interface ContentCipher {
  readonly enabled: boolean;
  ensure(appKeys: Iterable<string>): Promise<void>;
  seal(appKey: string, convId: string, seq: number, plain: Uint8Array): Uint8Array;
  open(message: StoredMessage): StoredMessage;
  /** The plain content of message (appKey, convId, seq) as stored (`open` without copying the message). */
  openContent(appKey: string, convId: string, seq: number, stored: Uint8Array): Uint8Array;
  /** An app's data keys by id (loaded by `ensure()`), for opening elsewhere; undefined when content is not encrypted. */
  dataKeys(appKey: string): ReadonlyMap<number, KeyObject> | undefined;
  /** A user's profile with every non-empty field sealed (bound to app, user and field), as text. */
  sealProfile(appKey: string, userId: string, p: UserProfile): UserProfile;
  /** The user record with its profile fields opened. */
  openUser(u: UserRecord): UserRecord;
  /** A room's attributes as stored: one blob sealed under the app's data key, bound to app and room (JSON without a master key). */
  sealRoomAttrs(appKey: string, roomId: string, attrs: Readonly<Record<string, string>>): string;
  /** The attributes of {@link sealRoomAttrs}. */
  openRoomAttrs(appKey: string, roomId: string, stored: string): Record<string, string>;
  /** Adds a new data key for the app; new writes use it. Returns its id. */
  rotate(appKey: string): Promise<number>;
}

/** Prefix of a sealed text field (base64url of a sealed blob follows). */
const TEXT_PREFIX = 'tds1:';
const FIELDS = ['name', 'avatarUrl', 'extra'] as const;

interface AppKeys {
  active: number;
  keys: Map<number, KeyObject>;
}

/** Creates the cipher of one store. */
export function createContentCipher(masterKey: Uint8Array | undefined, table: KeyTable): ContentCipher {
  const apps = new Map<string, AppKeys>();
  const loading = new Map<string, Promise<void>>();

  async function load(appKey: string, create: boolean): Promise<void> {
    let rows = await table.list(appKey);
    if (rows.length === 0 && create) {
      await table.insert(newWrappedKey(masterKey!, appKey, 1));
      rows = await table.list(appKey);
    }
    const keys = new Map(rows.map((r) => [r.keyId, unwrapKey(masterKey!, r)] as const));
    apps.set(appKey, { active: Math.max(...keys.keys()), keys });
  }

  const keysOf = (appKey: string): AppKeys => {
    const k = apps.get(appKey);
    if (!k) throw new Error(`data keys of app ${appKey} were not loaded before use`);
    return k;
  };

  return {
    enabled: masterKey !== undefined,
    async ensure(appKeys) {
      if (!masterKey) return;
      const waits: Promise<void>[] = [];
      for (const appKey of appKeys) {
        if (apps.has(appKey)) continue;
        let p = loading.get(appKey);
        if (!p) {
          p = load(appKey, true).finally(() => loading.delete(appKey));
          loading.set(appKey, p);
        }
        waits.push(p);
      }
      await Promise.all(waits);
    },
    seal(appKey, convId, seq, plain) {
      if (!masterKey) return plain;
      const k = keysOf(appKey);
      return sealContent(k.keys.get(k.active)!, k.active, appKey, convId, seq, plain);
    },
    open(m) {
      const content = this.openContent(m.appKey, m.convId, m.seq, m.content);
      return content === m.content ? m : { ...m, content };
    },
    openContent(appKey, convId, seq, stored) {
      if (!masterKey) return stored;
      const keyId = sealedKeyId(stored);
      // Empty (recalled) content and rows written before encryption was on are stored as is.
      if (keyId === undefined) return stored;
      const key = keysOf(appKey).keys.get(keyId);
      if (!key) throw new Error(`app ${appKey} has no data key ${keyId}`);
      return openContent(key, appKey, convId, seq, stored);
    },
    dataKeys(appKey) {
      return masterKey ? keysOf(appKey).keys : undefined;
    },
    sealProfile(appKey, userId, p) {
      if (!masterKey) return p;
      const k = keysOf(appKey);
      const out = { ...p };
      FIELDS.forEach((f, i) => {
        if (p[f] === '') return;
        const sealed = sealContent(k.keys.get(k.active)!, k.active, appKey, `user:${userId}`, i, new TextEncoder().encode(p[f]));
        out[f] = TEXT_PREFIX + Buffer.from(sealed).toString('base64url');
      });
      return out;
    },
    openUser(u) {
      if (!masterKey) return u;
      const out = { ...u };
      FIELDS.forEach((f, i) => {
        if (!u[f].startsWith(TEXT_PREFIX)) return;
        const sealed = Buffer.from(u[f].slice(TEXT_PREFIX.length), 'base64url');
        const keyId = sealedKeyId(sealed);
        const key = keyId === undefined ? undefined : keysOf(u.appKey).keys.get(keyId);
        if (!key) throw new Error(`app ${u.appKey} cannot open the ${f} of user ${u.userId}`);
        out[f] = new TextDecoder().decode(openContent(key, u.appKey, `user:${u.userId}`, i, sealed));
      });
      return out;
    },
    sealRoomAttrs(appKey, roomId, attrs) {
      const json = JSON.stringify(attrs);
      if (!masterKey) return json;
      const k = keysOf(appKey);
      const sealed = sealContent(k.keys.get(k.active)!, k.active, appKey, `room:${roomId}`, 0, new TextEncoder().encode(json));
      return TEXT_PREFIX + Buffer.from(sealed).toString('base64url');
    },
    openRoomAttrs(appKey, roomId, stored) {
      if (!stored.startsWith(TEXT_PREFIX)) return JSON.parse(stored) as Record<string, string>;
      if (!masterKey) throw new Error(`the attributes of room ${roomId} are sealed and no master key is set`);
      const sealed = Buffer.from(stored.slice(TEXT_PREFIX.length), 'base64url');
      const keyId = sealedKeyId(sealed);
      const key = keyId === undefined ? undefined : keysOf(appKey).keys.get(keyId);
      if (!key) throw new Error(`app ${appKey} cannot open the attributes of room ${roomId}`);
      return JSON.parse(new TextDecoder().decode(openContent(key, appKey, `room:${roomId}`, 0, sealed))) as Record<string, string>;
    },
    async rotate(appKey) {
      if (!masterKey) throw new Error('encryption at rest is off (no master key)');
      await this.ensure([appKey]);
      const next = keysOf(appKey).active + 1;
      await table.insert(newWrappedKey(masterKey, appKey, next));
      await load(appKey, false);
      return keysOf(appKey).active;
    },
  };
}
