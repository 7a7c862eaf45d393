/**
 * The cluster storage adapter: PostgreSQL through `pg`. Several nodes share
 * one database; each keeps a small connection pool.
 *
 * Durability. `commitSends` resolves after COMMIT returns, so with the server
 * default `synchronous_commit = on` an acknowledged batch is in the WAL on
 * disk (and on synchronous replicas, if configured).
 *
 * Concurrency. A batch is one READ COMMITTED transaction that row-locks its
 * conversations and users in a fixed order (see `commit.ts`), so batches from
 * many nodes serialise per conversation and never hand out a seq twice. A
 * deadlock or serialization failure (which that order should prevent) rolls
 * the whole batch back and it is retried, up to three attempts.
 */
import pg from 'pg';
import { createContentCipher } from '../content-cipher.ts';
import { createPostgresRooms } from './rooms.ts';
import { TidingsError } from '@tidings/protocol';
import type { AppRecord, ConversationChange, SendInput, SendOutcome, Store, UserProfile, WebhookConfig, WebhookEnqueue } from '../port.ts';
import { ExactRetry, commitBatch, isSkippedRepeat } from './commit.ts';
import { GroupMembersCache } from '../group-members-cache.ts';
import { checkSchemaName, migrate } from './schema.ts';
import { SQL, toApp, toMessage, toUser, type Statement } from './sql.ts';
import { GROUP_SQL, toGroupRow, toMember } from './groups.ts';
import { WEBHOOK_SQL, configValues, insertValues, toWebhookConfig, toWebhookEntry } from './webhooks.ts';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://user@host:5432/db`. */
  readonly url: string;
  /** Schema holding the tables, created and migrated when missing (default `tidings`). */
  readonly schema?: string;
  /** Connections in this node's pool (default 10). */
  readonly poolSize?: number;
  /**
   * PostgreSQL ends a transaction left idle this long (default 10 000 ms): a
   * node paused or cut off mid-batch cannot hold its conversations' row
   * locks, and its batch rolls back as a whole.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /** A query (or connect) without an answer after this long fails and its connection is dropped (default 15 000 ms). */
  readonly queryTimeoutMs?: number;
  /** Called with errors of idle pooled connections (they are replaced on next use). */
  readonly onError?: (err: Error) => void;
  /** 32-byte master key: message content is encrypted at rest under per-app data keys it wraps. */
  readonly masterKey?: Uint8Array;
}

/** `bigint` columns hold seqs, versions and ms timestamps, all far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const RETRYABLE = new Set(['40P01', '40001']);
/** Expired nonces are purged once every this many claims (per node). */
const NONCE_PURGE_EVERY = 256;
const ATTEMPTS = 3;

/** The URL without its password, for error messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Connects to PostgreSQL, creates and migrates the schema as needed (safe
 * when several nodes start at once), and returns it as a {@link Store}.
 *
 * @throws {TidingsError} `storage.unavailable` when the server is unreachable.
 * @example
 * ```ts
 * const store = await createPostgresStore({ url: 'postgres://tidings@db:5432/tidings' });
 * const [outcome] = await store.commitSends([send]);
 * await store.close();
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = checkSchemaName(options.schema ?? 'tidings');
  const where = `PostgreSQL at ${redact(options.url)} (schema ${schema})`;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Generic plans always: the hot path's statements take arrays, so a custom
    // plan is no better, and with batches of one PostgreSQL kept choosing
    // custom plans, re-planning the write statement on every commit
    // (measured: ~0.3 ms of backend CPU per single-send commit).
    options: `-c search_path=${schema} -c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs ?? 10_000} -c plan_cache_mode=force_generic_plan`,
    // A stalled link must fail the batch, not hang the node's commit queue forever.
    query_timeout: options.queryTimeoutMs ?? 15_000,
    connectionTimeoutMillis: options.queryTimeoutMs ?? 15_000,
    keepAlive: true,
    types,
  });
  pool.on('error', (err) => options.onError?.(err));
  try {
    const client = await pool.connect().catch((cause: unknown) => {
      throw new TidingsError('storage.unavailable', `${where} is unreachable: ${String(cause)}`, { cause });
    });
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  let closed = false;
  let claims = 0;

  const check = (): void => {
    if (closed) throw new TidingsError('storage.unavailable', `${where}: store is closed`);
  };
  const query = async (s: Statement, values: unknown[]) => {
    check();
    return pool.query({ ...s, values });
  };
  // Group members kept between batches, used only when current (group-members-cache.ts).
  const groupCache = new GroupMembersCache();
  const cipher = createContentCipher(options.masterKey, {
    list: async (appKey) =>
      (await pool.query('SELECT key_id, wrapped FROM data_keys WHERE app_key = $1 ORDER BY key_id', [appKey])).rows.map(
        (r: Record<string, unknown>) => ({ appKey, keyId: r.key_id as number, wrapped: r.wrapped as Uint8Array }),
      ),
    insert: async (k) => {
      await pool.query('INSERT INTO data_keys (app_key, key_id, wrapped) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        k.appKey,
        k.keyId,
        k.wrapped,
      ]);
    },
  });

  const commitOnce = async (batch: readonly SendInput[], exact: boolean): Promise<SendOutcome[]> => {
    const client = await pool.connect();
    let broken = false;
    // The server may end a checked-out connection (idle-in-transaction timeout
    // after this node was paused, a restart, a cut link): without a listener
    // that 'error' event would crash the process. The pending query fails anyway.
    const onError = (err: Error): void => {
      broken = true;
      options.onError?.(err);
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const outcomes = await commitBatch(client, batch, cipher.enabled ? cipher : undefined, groupCache, exact);
      await client.query('COMMIT');
      return outcomes;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  };

  return {
    createApp: async (app: AppRecord) => {
      try {
        await query(SQL.insertApp, [app.appKey, app.name, app.appSecret, app.tokenKey, app.disabled, app.createdAt]);
      } catch (cause) {
        if ((cause as { code?: string }).code === '23505')
          throw new Error(`app ${app.appKey} already exists`, { cause });
        throw cause;
      }
    },

    getApp: async (appKey: string) => {
      const { rows } = await query(SQL.getApp, [appKey]);
      return rows[0] === undefined ? undefined : toApp(rows[0]);
    },

    listApps: async () => (await query(SQL.listApps, [])).rows.map(toApp),

    setAppDisabled: async (appKey: string, disabled: boolean) => {
      if ((await query(SQL.setAppDisabled, [disabled, appKey])).rowCount === 0)
        throw new Error(`app ${appKey} does not exist`);
    },

    commitSends: async (batch: readonly SendInput[]) => {
      check();
      if (batch.length === 0) return [];
      await cipher.ensure(new Set(batch.map((b) => b.appKey)));
      // A batch with a repeat its first run did not look up runs again exact (commit.ts), once, not counted as an attempt.
      let exact = false;
      for (let attempt = 1; ; attempt++) {
        try {
          return await commitOnce(batch, exact);
        } catch (err) {
          if (!exact && (err instanceof ExactRetry || isSkippedRepeat(err))) {
            exact = true;
            attempt--;
            continue;
          }
          const code = (err as { code?: string }).code;
          if (attempt >= ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw err;
        }
      }
    },

    rotateDataKey: (appKey: string) => cipher.rotate(appKey),
    rooms: createPostgresRooms(
      (text, values) => {
        check();
        return pool.query(text, values);
      },
      cipher,
      (appKey) => cipher.ensure([appKey]),
    ),

    readRange: async (appKey: string, convId: string, fromSeq: number, toSeq: number, limit: number, maxBytes?: number) => {
      await cipher.ensure([appKey]);
      const budget = maxBytes === undefined || !Number.isFinite(maxBytes) ? null : Math.floor(maxBytes);
      return (await query(SQL.readRange, [appKey, convId, fromSeq, toSeq, limit, budget])).rows.map((r) => cipher.open(toMessage(r)));
    },

    maxSeq: async (appKey: string, convId: string) =>
      ((await query(SQL.maxSeq, [appKey, convId])).rows[0]?.max_seq as number | undefined) ?? 0,

    changesSince: async (appKey: string, userId: string, afterVersion: number, limit: number) =>
      (await query(SQL.changesSince, [appKey, userId, afterVersion, limit])).rows.map((row): ConversationChange => ({
        convId: row.conv_id as string,
        maxSeq: row.max_seq as number,
        version: row.version as number,
      })),

    setDelivered: async (appKey: string, userId: string, deviceId: string, convId: string, seq: number) => {
      await query(SQL.raiseDelivered, [appKey, userId, deviceId, convId, seq]);
    },

    getDelivered: async (appKey: string, userId: string, deviceId: string, convId: string) =>
      ((await query(SQL.getDelivered, [appKey, userId, deviceId, convId])).rows[0]?.seq as number | undefined) ?? 0,

    rotateAppSecret: async (appKey: string, newSecret: string, previousExpiresAt: number) => {
      const { rows } = await query(SQL.rotateSecret, [previousExpiresAt, newSecret, appKey]);
      if (rows[0] === undefined) throw new Error(`app ${appKey} does not exist`);
      return toApp(rows[0]);
    },

    claimNonce: async (appKey: string, nonce: string, expiresAt: number, nowMs: number) => {
      if (++claims % NONCE_PURGE_EVERY === 0) await query(SQL.purgeNonces, [nowMs]);
      return (await query(SQL.claimNonce, [appKey, nonce, expiresAt, nowMs])).rowCount === 1;
    },

    upsertUser: async (appKey: string, userId: string, profile: UserProfile, nowMs: number) => {
      await cipher.ensure([appKey]);
      const p = cipher.sealProfile(appKey, userId, profile);
      return cipher.openUser(toUser((await query(SQL.upsertUser, [appKey, userId, p.name, p.avatarUrl, p.extra, nowMs])).rows[0]));
    },

    getUser: async (appKey: string, userId: string) => {
      await cipher.ensure([appKey]);
      const { rows } = await query(SQL.getUser, [appKey, userId]);
      return rows[0] === undefined ? undefined : cipher.openUser(toUser(rows[0]));
    },

    setUserBlocked: async (appKey: string, userId: string, blocked: boolean, nowMs: number) => {
      await cipher.ensure([appKey]);
      return cipher.openUser(toUser((await query(SQL.setUserBlocked, [appKey, userId, blocked, nowMs])).rows[0]));
    },

    revokeUserTokens: async (appKey: string, userId: string, validAfter: number, nowMs: number) => {
      await cipher.ensure([appKey]);
      return cipher.openUser(toUser((await query(SQL.revokeUserTokens, [appKey, userId, validAfter, nowMs])).rows[0]));
    },

    // The tombstone's profile is empty: nothing sealed to open.
    deleteUser: async (appKey: string, userId: string, nowMs: number) => toUser((await query(SQL.deleteUser, [appKey, userId, nowMs])).rows[0]),

    listDeletedUsers: async () =>
      (await query(SQL.listDeletedUsers, [])).rows.map((r: Record<string, unknown>) => ({ appKey: r.app_key as string, userId: r.user_id as string })),

    getGroup: async (appKey: string, groupId: string) => {
      const row = (await query(GROUP_SQL.getGroup, [appKey, groupId])).rows[0];
      return row === undefined ? undefined : { appKey, ...toGroupRow(row), memberCount: row.n as number };
    },

    getGroupMember: async (appKey: string, groupId: string, userId: string) => {
      const row = (await query(GROUP_SQL.getMember, [appKey, groupId, userId])).rows[0];
      return row === undefined ? undefined : toMember(row);
    },

    listGroupMembers: async (appKey: string, groupId: string, afterUserId: string, limit: number) =>
      (await query(GROUP_SQL.pageMembers, [appKey, groupId, afterUserId, limit])).rows.map(toMember),

    getWebhookConfig: async (appKey: string) => {
      const row = (await query(WEBHOOK_SQL.getConfig, [appKey])).rows[0];
      return row === undefined ? undefined : toWebhookConfig(row);
    },

    setWebhookConfig: async (config: WebhookConfig) => {
      await query(WEBHOOK_SQL.setConfig, configValues(config));
    },

    enqueueWebhooks: async (entries: readonly WebhookEnqueue[]) => {
      if (entries.length > 0) await query(WEBHOOK_SQL.insert, insertValues(entries));
    },

    claimWebhooks: async (token: string, nowMs: number, leaseUntil: number, limit: number) =>
      (await query(WEBHOOK_SQL.claim, [nowMs, leaseUntil, token, limit])).rows.map(toWebhookEntry).sort((x, y) => x.id - y.id),

    completeWebhook: async (id: number, token: string) => (await query(WEBHOOK_SQL.complete, [id, token])).rowCount === 1,

    failWebhook: async (id: number, token: string, f: { readonly nextAt: number; readonly error: string; readonly dead: boolean }) =>
      (await query(WEBHOOK_SQL.fail, [f.nextAt, f.error.slice(0, 500), f.dead, id, token])).rowCount === 1,

    listWebhookDeadLetters: async (appKey: string, afterId: number, limit: number) =>
      (await query(WEBHOOK_SQL.dead, [appKey, afterId, limit])).rows.map(toWebhookEntry),

    replayWebhookDeadLetters: async (appKey: string, ids: readonly number[] | undefined, nowMs: number) =>
      (await query(WEBHOOK_SQL.replay, [appKey, nowMs, ids ?? null])).rowCount ?? 0,

    countPendingWebhooks: async (appKey: string) => ((await query(WEBHOOK_SQL.pending, [appKey])).rows[0]?.n as number | undefined) ?? 0,

    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
