/**
 * The embedded storage adapter: SQLite through `node:sqlite`, no native build.
 *
 * Durability. The database runs in WAL mode. With the default
 * `synchronous: 'normal'`, a commit is written to the WAL before
 * `commitSends` resolves but fsynced only at checkpoints: an acknowledged
 * batch survives a crash or `kill -9` of the process (the OS still holds the
 * write), but may be lost if the machine loses power or the kernel panics.
 * `synchronous: 'full'` fsyncs the WAL on every commit, so acknowledged
 * batches also survive power loss, at the cost of one fsync per batch (group
 * commit amortises it).
 *
 * Concurrency. Every batch runs in BEGIN IMMEDIATE ... COMMIT, so several
 * processes may open the same file; writers queue on SQLite's lock (for up to
 * `busyTimeoutMs`). All state is re-read inside each transaction.
 */
import { DatabaseSync } from 'node:sqlite';
import { TidingsError } from '@tidings/protocol';
import type {
  AppRecord,
  ConversationChange,
  SendInput,
  SendOutcome,
  Store,
  StoredMessage,
  UserProfile,
  UserRecord,
  WebhookConfig,
  WebhookEnqueue,
} from '../port.ts';
import { commitBatch } from './commit.ts';
import { createDeliveredWriter } from './delivered.ts';
import { createRangeReader } from './range-reader.ts';
import { migrate } from './schema.ts';
import { prepareStatements, readRangeRows, toApp, toUser } from './statements.ts';
import { createContentCipher } from '../content-cipher.ts';
import { createSqliteRooms } from './rooms.ts';
import { prepareGroupStatements, readGroup, toMember } from './groups.ts';
import { configValues, enqueueStored, insertEntry, prepareWebhookStatements, toWebhookConfig, toWebhookEntry } from './webhooks.ts';

/** Expired nonces are purged once every this many claims. */
const NONCE_PURGE_EVERY = 256;

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; created with its schema when missing. */
  readonly path: string;
  /** `'normal'` (default) survives process crashes, `'full'` also power loss. */
  readonly synchronous?: 'normal' | 'full';
  /** How long a write waits for another connection's lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /** 32-byte master key: message content is encrypted at rest under per-app data keys it wraps. */
  readonly masterKey?: Uint8Array;
}

/**
 * Opens (creating and migrating as needed) a SQLite database as a {@link Store}.
 *
 * @example
 * ```ts
 * const store = await createSqliteStore({ path: './data/tidings.db' });
 * const [outcome] = await store.commitSends([send]);
 * await store.close();
 * ```
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string } | undefined;
    if (mode?.journal_mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${options.path}`);
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const s = prepareStatements(db);
  const g = prepareGroupStatements(db);
  const w = prepareWebhookStatements(db);
  const delivered = createDeliveredWriter(db, s);
  // Range reads (pulls) run on a worker thread with its own connection, which needs a real file.
  const ranges =
    options.path === '' || options.path.startsWith(':memory:')
      ? undefined
      : createRangeReader({ path: options.path, busyTimeoutMs: options.busyTimeoutMs ?? 5000, maxInFlight: 512 });
  let closed = false;
  let claims = 0;
  const listKeys = db.prepare('SELECT key_id, wrapped FROM data_keys WHERE app_key = ? ORDER BY key_id');
  const insertKey = db.prepare('INSERT OR IGNORE INTO data_keys (app_key, key_id, wrapped) VALUES (?, ?, ?)');
  const keysFor = async (appKey: string): Promise<void> => {
    if (cipher.enabled && !closed) await cipher.ensure([appKey]);
  };
  const cipher = createContentCipher(options.masterKey, {
    list: async (appKey) =>
      listKeys.all(appKey).map((r) => ({ appKey, keyId: r.key_id as number, wrapped: r.wrapped as Uint8Array })),
    insert: async (k) => void insertKey.run(k.appKey, k.keyId, k.wrapped),
  });

  /** Runs `fn` unless the store is closed; turns the sync API into the port's promises. */
  const use = async <T>(fn: () => T): Promise<T> => {
    if (closed) throw new TidingsError('storage.unavailable', `SQLite store ${options.path} is closed`);
    return fn();
  };

  /** Creates the user if new, applies `update`, returns the row: one transaction. */
  const userWrite = (appKey: string, userId: string, nowMs: number, update: () => void): UserRecord => {
    s.begin.run();
    try {
      s.ensureUser.run(appKey, userId, nowMs, nowMs);
      update();
      const row = toUser(s.getUser.get(appKey, userId)!);
      s.commit.run();
      return row;
    } catch (err) {
      if (db.isTransaction) s.rollback.run();
      throw err;
    }
  };

  return {
    createApp: (app: AppRecord) =>
      use(() => {
        try {
          s.insertApp.run(app.appKey, app.name, app.appSecret, app.tokenKey, app.disabled ? 1 : 0, app.createdAt);
        } catch (cause) {
          if (s.getApp.get(app.appKey) !== undefined) throw new Error(`app ${app.appKey} already exists`, { cause });
          throw cause;
        }
      }),

    getApp: (appKey: string) =>
      use(() => {
        const row = s.getApp.get(appKey);
        return row === undefined ? undefined : toApp(row);
      }),

    listApps: () => use(() => s.listApps.all().map(toApp)),

    setAppDisabled: (appKey: string, disabled: boolean) =>
      use(() => {
        if (s.setAppDisabled.run(disabled ? 1 : 0, appKey).changes === 0)
          throw new Error(`app ${appKey} does not exist`);
      }),

    commitSends: async (batch: readonly SendInput[]) => {
      if (cipher.enabled && !closed) await cipher.ensure(new Set(batch.map((b) => b.appKey)));
      return use((): SendOutcome[] => {
        if (batch.length === 0) return [];
        s.begin.run();
        try {
          const outcomes = commitBatch(s, g, batch, cipher.enabled ? cipher : undefined);
          enqueueStored(w, batch, outcomes);
          s.commit.run();
          return outcomes;
        } catch (err) {
          if (db.isTransaction) s.rollback.run();
          throw err;
        }
      });
    },

    rotateDataKey: (appKey: string) => cipher.rotate(appKey),
    rooms: createSqliteRooms(db, cipher, use, keysFor),

    readRange: async (appKey: string, convId: string, fromSeq: number, toSeq: number, limit: number, maxBytes = Infinity) => {
      if (cipher.enabled && !closed) await cipher.ensure([appKey]);
      const inWorker = closed ? undefined : ranges?.read(appKey, convId, fromSeq, toSeq, limit, maxBytes, cipher.dataKeys(appKey));
      if (inWorker) return inWorker;
      // In place: an in-memory database, or the worker is busy. Rows come as arrays in RANGE_COLUMNS order.
      return use(() =>
        readRangeRows(s.readRange, appKey, convId, fromSeq, toSeq, limit, maxBytes).map(
          ([seq, msgId, senderId, senderDevice, clientMsgId, senderSeq, type, content, ts, flags]): StoredMessage => ({
            appKey,
            convId,
            seq,
            msgId,
            senderId,
            senderDevice,
            clientMsgId,
            senderSeq,
            type,
            content: cipher.openContent(appKey, convId, seq, content),
            ts,
            flags,
          }),
        ),
      );
    },

    maxSeq: (appKey: string, convId: string) =>
      use(() => {
        const row = s.getMaxSeq.get(appKey, convId);
        return row === undefined ? 0 : (row.max_seq as number);
      }),

    changesSince: (appKey: string, userId: string, afterVersion: number, limit: number) =>
      use(() =>
        s.changesSince.all(appKey, userId, afterVersion, limit).map((row): ConversationChange => ({
          convId: row.conv_id as string,
          maxSeq: row.max_seq as number,
          version: row.version as number,
        })),
      ),

    setDelivered: async (appKey: string, userId: string, deviceId: string, convId: string, seq: number) => {
      await use(() => delivered.raise(appKey, userId, deviceId, convId, seq));
    },

    getDelivered: (appKey: string, userId: string, deviceId: string, convId: string) =>
      use(() => {
        delivered.flush();
        const row = s.getDelivered.get(appKey, userId, deviceId, convId);
        return row === undefined ? 0 : (row.seq as number);
      }),

    rotateAppSecret: (appKey: string, newSecret: string, previousExpiresAt: number) =>
      use(() => {
        if (s.rotateSecret.run(previousExpiresAt, newSecret, appKey).changes === 0) throw new Error(`app ${appKey} does not exist`);
        return toApp(s.getApp.get(appKey)!);
      }),

    claimNonce: (appKey: string, nonce: string, expiresAt: number, nowMs: number) =>
      use(() => {
        if (++claims % NONCE_PURGE_EVERY === 0) s.purgeNonces.run(nowMs);
        return s.claimNonce.run(appKey, nonce, expiresAt, nowMs).changes === 1;
      }),

    upsertUser: async (appKey: string, userId: string, profile: UserProfile, nowMs: number) => {
      await keysFor(appKey);
      return use(() => {
        const p = cipher.sealProfile(appKey, userId, profile);
        s.upsertUser.run(appKey, userId, p.name, p.avatarUrl, p.extra, nowMs, nowMs);
        return cipher.openUser(toUser(s.getUser.get(appKey, userId)!));
      });
    },

    getUser: async (appKey: string, userId: string) => {
      await keysFor(appKey);
      return use(() => {
        const row = s.getUser.get(appKey, userId);
        return row === undefined ? undefined : cipher.openUser(toUser(row));
      });
    },

    setUserBlocked: async (appKey: string, userId: string, blocked: boolean, nowMs: number) => {
      await keysFor(appKey);
      return use(() => cipher.openUser(userWrite(appKey, userId, nowMs, () => s.setUserBlocked.run(blocked ? 1 : 0, nowMs, appKey, userId))));
    },

    revokeUserTokens: async (appKey: string, userId: string, validAfter: number, nowMs: number) => {
      await keysFor(appKey);
      return use(() => cipher.openUser(userWrite(appKey, userId, nowMs, () => s.revokeUserTokens.run(validAfter, nowMs, appKey, userId))));
    },

    // The tombstone's profile is empty: nothing sealed to open.
    deleteUser: (appKey: string, userId: string, nowMs: number) =>
      use(() => userWrite(appKey, userId, nowMs, () => s.deleteUser.run(nowMs, appKey, userId))),

    listDeletedUsers: () =>
      use(() => s.listDeletedUsers.all().map((r) => ({ appKey: r.app_key as string, userId: r.user_id as string }))),

    getGroup: (appKey: string, groupId: string) => use(() => readGroup(g, appKey, groupId)),

    getGroupMember: (appKey: string, groupId: string, userId: string) =>
      use(() => {
        const row = g.getMember.get(appKey, groupId, userId);
        return row === undefined ? undefined : toMember(row);
      }),

    listGroupMembers: (appKey: string, groupId: string, afterUserId: string, limit: number) =>
      use(() => g.pageMembers.all(appKey, groupId, afterUserId, limit).map(toMember)),

    getWebhookConfig: (appKey: string) =>
      use(() => {
        const row = w.getConfig.get(appKey);
        return row === undefined ? undefined : toWebhookConfig(row);
      }),

    setWebhookConfig: (config: WebhookConfig) =>
      use(() => {
        w.setConfig.run(...configValues(config));
      }),

    enqueueWebhooks: (entries: readonly WebhookEnqueue[]) =>
      use(() => {
        if (entries.length === 0) return;
        s.begin.run();
        try {
          for (const e of entries) insertEntry(w, e);
          s.commit.run();
        } catch (err) {
          if (db.isTransaction) s.rollback.run();
          throw err;
        }
      }),

    claimWebhooks: (token: string, nowMs: number, leaseUntil: number, limit: number) =>
      use(() => w.claim.all(leaseUntil, token, nowMs, nowMs, limit).map(toWebhookEntry).sort((x, y) => x.id - y.id)),

    completeWebhook: (id: number, token: string) => use(() => w.complete.run(id, token).changes === 1),

    failWebhook: (id: number, token: string, f: { readonly nextAt: number; readonly error: string; readonly dead: boolean }) =>
      use(() => w.fail.run(f.nextAt, f.error.slice(0, 500), f.dead ? 1 : 0, id, token).changes === 1),

    listWebhookDeadLetters: (appKey: string, afterId: number, limit: number) =>
      use(() => w.dead.all(appKey, afterId, limit).map(toWebhookEntry)),

    replayWebhookDeadLetters: (appKey: string, ids: readonly number[] | undefined, nowMs: number) =>
      use(() => {
        if (ids === undefined) return Number(w.replayAll.run(nowMs, appKey).changes);
        let n = 0;
        for (const id of ids) n += Number(w.replayOne.run(nowMs, appKey, id).changes);
        return n;
      }),

    countPendingWebhooks: (appKey: string) => use(() => (w.pending.get(appKey)?.n as number | undefined) ?? 0),

    close: async () => {
      if (closed) return;
      closed = true;
      delivered.flush();
      await ranges?.close();
      db.close();
    },
  };
}
