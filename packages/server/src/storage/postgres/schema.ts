import type { PoolClient } from 'pg';

/**
 * The PostgreSQL schema as an append-only list of migrations, recorded in
 * `schema_migrations` of the store's schema. Never edit a released step: add
 * one. Every node runs `migrate` at start; an advisory lock keyed by the
 * schema name makes concurrent starters queue, so exactly one of them runs
 * each missing step and the others then find nothing to do.
 */

/** One schema step; its 1-based position in the list is its version. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** Hash partitions of `messages`; fixed by migration 1 (changing it is a new migration). */
export const MESSAGE_PARTITIONS = 16;

/**
 * Width of the version buckets of the change index (migration 9; changing it
 * is a new migration). `user_changes` is indexed for sync by
 * `version_floor` (the version with its low bits cleared), not by the
 * version itself, so rewriting a pointer whose new version falls in the same
 * bucket changes no indexed column and stays a HOT update.
 */
export const VERSION_BUCKET = 256;

const partitions = Array.from(
  { length: MESSAGE_PARTITIONS },
  (_, i) =>
    `CREATE TABLE messages_p${i} PARTITION OF messages FOR VALUES WITH (MODULUS ${MESSAGE_PARTITIONS}, REMAINDER ${i});`,
).join('\n');

/** Every schema step, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'initial schema',
    sql: `
      CREATE TABLE apps (
        app_key text PRIMARY KEY,
        name text NOT NULL,
        app_secret text NOT NULL,
        token_key text NOT NULL,
        disabled boolean NOT NULL,
        created_at bigint NOT NULL
      );

      -- Locked FOR UPDATE (by upsert) by every batch that writes to the
      -- conversation: this row lock is what serialises seq assignment, sender
      -- cursors and dedupe across nodes.
      CREATE TABLE conversations (
        app_key text NOT NULL,
        conv_id text NOT NULL,
        kind text NOT NULL,
        max_seq bigint NOT NULL,
        PRIMARY KEY (app_key, conv_id)
      );

      -- Hash-partitioned on the conversation so it can grow and a range read
      -- touches one partition. The dedupe record is the unique index on the
      -- sender's clientMsgId, so it commits with the row by construction.
      CREATE TABLE messages (
        app_key text NOT NULL,
        conv_id text NOT NULL,
        seq bigint NOT NULL,
        msg_id text NOT NULL,
        sender_id text NOT NULL,
        sender_device text NOT NULL,
        client_msg_id text NOT NULL,
        sender_seq bigint NOT NULL,
        type text NOT NULL,
        content bytea NOT NULL,
        ts bigint NOT NULL,
        flags integer NOT NULL,
        PRIMARY KEY (app_key, conv_id, seq),
        UNIQUE (app_key, conv_id, sender_id, client_msg_id)
      ) PARTITION BY HASH (app_key, conv_id);
      ${partitions}

      -- A partitioned table cannot enforce a unique key without its partition
      -- columns, so global msgId uniqueness lives here (also the msgId lookup).
      CREATE TABLE message_ids (
        msg_id text PRIMARY KEY,
        app_key text NOT NULL,
        conv_id text NOT NULL,
        seq bigint NOT NULL
      );

      CREATE TABLE sender_cursors (
        app_key text NOT NULL,
        conv_id text NOT NULL,
        sender_id text NOT NULL,
        sender_device text NOT NULL,
        last_sender_seq bigint NOT NULL,
        PRIMARY KEY (app_key, conv_id, sender_id, sender_device)
      );

      CREATE TABLE user_changes (
        app_key text NOT NULL,
        user_id text NOT NULL,
        conv_id text NOT NULL,
        max_seq bigint NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (app_key, user_id, conv_id)
      );
      CREATE INDEX user_changes_by_version ON user_changes (app_key, user_id, version);

      -- A counter rather than max(version) of user_changes, so a version is
      -- never reused; its row lock serialises a user's version bumps.
      CREATE TABLE user_versions (
        app_key text NOT NULL,
        user_id text NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (app_key, user_id)
      );

      CREATE TABLE delivered (
        app_key text NOT NULL,
        user_id text NOT NULL,
        device_id text NOT NULL,
        conv_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (app_key, user_id, device_id, conv_id)
      );
    `,
  },
  {
    name: 'server API: secret rotation, users, nonces',
    sql: `
      ALTER TABLE apps ADD COLUMN previous_secret text, ADD COLUMN previous_secret_expires_at bigint;

      CREATE TABLE users (
        app_key text NOT NULL,
        user_id text NOT NULL,
        name text NOT NULL,
        avatar_url text NOT NULL,
        extra text NOT NULL,
        blocked boolean NOT NULL,
        tokens_valid_after bigint NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (app_key, user_id)
      );

      CREATE TABLE api_nonces (
        app_key text NOT NULL,
        nonce text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (app_key, nonce)
      );
      CREATE INDEX api_nonces_by_expiry ON api_nonces (expires_at);
    `,
  },
  {
    name: 'groups and group members',
    sql: `
      CREATE TABLE groups (
        app_key text NOT NULL,
        group_id text NOT NULL,
        owner_id text NOT NULL,
        name text NOT NULL,
        extra text NOT NULL,
        history_visible boolean NOT NULL,
        mute_all boolean NOT NULL,
        exempt text[] NOT NULL,
        dismissed boolean NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (app_key, group_id)
      );

      -- Former members keep their row (left_seq > 0): it bounds what they may read.
      -- Written only by batches holding the group conversation's row lock.
      CREATE TABLE group_members (
        app_key text NOT NULL,
        group_id text NOT NULL,
        user_id text NOT NULL,
        role text NOT NULL,
        joined_seq bigint NOT NULL,
        left_seq bigint NOT NULL,
        muted_until bigint NOT NULL,
        PRIMARY KEY (app_key, group_id, user_id)
      );
    `,
  },  {
    name: 'webhooks: settings and outbox',
    sql: `
      CREATE TABLE webhook_configs (
        app_key text PRIMARY KEY,
        url text NOT NULL,
        events text NOT NULL,
        timeout_ms integer NOT NULL,
        max_attempts integer NOT NULL,
        max_age_ms bigint NOT NULL,
        pre_send_url text NOT NULL,
        pre_send_timeout_ms integer NOT NULL,
        fail_open boolean NOT NULL,
        updated_at bigint NOT NULL
      );

      -- Callbacks waiting for a 2xx, and the dead-letter list (dead). Within a
      -- lane, delivery order is id order: message rows are inserted under the
      -- conversation's row lock, so ids follow seqs across nodes.
      CREATE TABLE webhook_outbox (
        id bigserial PRIMARY KEY,
        app_key text NOT NULL,
        lane text NOT NULL,
        event text NOT NULL,
        conv_id text NOT NULL,
        seq bigint NOT NULL,
        payload text NOT NULL,
        idempotency_key text NOT NULL,
        created_at bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_at bigint NOT NULL,
        lease_until bigint NOT NULL DEFAULT 0,
        lease_token text NOT NULL DEFAULT '',
        last_error text NOT NULL DEFAULT '',
        dead boolean NOT NULL DEFAULT false
      );
      CREATE INDEX webhook_outbox_lanes ON webhook_outbox (app_key, lane, id) WHERE NOT dead;
      CREATE INDEX webhook_outbox_dead ON webhook_outbox (app_key, id) WHERE dead;
    `,
  },
  {
    name: 'data keys for encryption at rest',
    sql: `
      CREATE TABLE data_keys (
        app_key TEXT NOT NULL,
        key_id INTEGER NOT NULL,
        wrapped BYTEA NOT NULL,
        PRIMARY KEY (app_key, key_id)
      );
    `,
  },
  {
    name: 'user deletion (tombstones)',
    sql: `
      ALTER TABLE users ADD COLUMN deleted_at bigint NOT NULL DEFAULT 0;
      CREATE INDEX users_deleted ON users (app_key, user_id) WHERE deleted_at > 0;
    `,
  },
  {
    name: 'chatrooms: owner lease, seq high-water mark, state and sealed attributes',
    sql: `
      CREATE TABLE rooms (
        app_key text NOT NULL,
        room_id text NOT NULL,
        owner text NOT NULL,
        epoch bigint NOT NULL,
        lease_until bigint NOT NULL,
        seq_hw bigint NOT NULL,
        created_at bigint NOT NULL,
        state text NOT NULL,
        attrs text NOT NULL,
        PRIMARY KEY (app_key, room_id)
      );
      CREATE INDEX rooms_owner ON rooms (owner);
    `,
  },
  {
    name: 'write path: free space on the pages rewritten by every message',
    sql: `
      -- Seq counters, sender cursors, per-user versions and change pointers are
      -- updated by every message. 30% free space on each new page lets an
      -- update stay on its page (HOT, no new index entries where no indexed
      -- column changed): about 5% less backend CPU per message on the write
      -- path (commit.bench.ts, batches of 500). Applies to pages written from now on.
      ALTER TABLE conversations SET (fillfactor = 70);
      ALTER TABLE sender_cursors SET (fillfactor = 70);
      ALTER TABLE user_versions SET (fillfactor = 70);
      ALTER TABLE user_changes SET (fillfactor = 70);
    `,
  },
  {
    name: 'change index: sync index on the version bucket, so pointer updates are HOT',
    sql: `
      -- Every message rewrites each member's pointer (max_seq, version). With
      -- the version itself indexed, every such update was a new index entry
      -- in both indexes of the table plus the cleanup of the old ones (about
      -- 16 us of backend CPU per pointer, half of the write path's CPU for a
      -- 1:1 message). Indexing the version's bucket instead leaves the
      -- indexed columns unchanged while a conversation's pointer moves within
      -- one bucket of ${VERSION_BUCKET} versions of its user, so the update
      -- is HOT (about 5 us). A sync scans its cursor's bucket from its start:
      -- fewer than ${VERSION_BUCKET} entries more than it returns.
      ALTER TABLE user_changes ADD COLUMN version_floor bigint NOT NULL DEFAULT 0;
      UPDATE user_changes SET version_floor = version & ~${VERSION_BUCKET - 1}::bigint;
      ALTER TABLE user_changes ALTER COLUMN version_floor DROP DEFAULT;
      CREATE INDEX user_changes_by_version_floor ON user_changes (app_key, user_id, version_floor);
      DROP INDEX user_changes_by_version;
    `,
  },
  {
    name: 'write path: byte-order collation on the key columns the write path compares',
    sql: `
      -- Every index probe and insertion of the write path compares text keys.
      -- Under a libc collation other than C (the usual database default, even
      -- C.UTF-8) each comparison copies both strings and calls strcoll; under
      -- "C" it is one memcmp. Equality is byte equality either way (the
      -- collations are deterministic), and nothing orders these columns, so
      -- only cost changes. No table rewrite: the indexes are rebuilt.
      ALTER TABLE conversations ALTER COLUMN app_key TYPE text COLLATE "C", ALTER COLUMN conv_id TYPE text COLLATE "C";
      ALTER TABLE message_ids ALTER COLUMN msg_id TYPE text COLLATE "C";
      ALTER TABLE sender_cursors ALTER COLUMN app_key TYPE text COLLATE "C", ALTER COLUMN conv_id TYPE text COLLATE "C",
        ALTER COLUMN sender_id TYPE text COLLATE "C", ALTER COLUMN sender_device TYPE text COLLATE "C";
      ALTER TABLE user_versions ALTER COLUMN app_key TYPE text COLLATE "C", ALTER COLUMN user_id TYPE text COLLATE "C";
      ALTER TABLE user_changes ALTER COLUMN app_key TYPE text COLLATE "C", ALTER COLUMN user_id TYPE text COLLATE "C",
        ALTER COLUMN conv_id TYPE text COLLATE "C";
    `,
  },
];

/** A schema name safe to splice into SQL unquoted. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new RangeError(`PostgreSQL schema name must match [a-z_][a-z0-9_]*, got ${JSON.stringify(schema)}`);
  }
  return schema;
}

/**
 * Creates `schema` if needed and brings it up to `migrations.length`, all in
 * one transaction under `pg_advisory_xact_lock`, so nodes starting together
 * do not race and a failed step leaves the previous version intact.
 *
 * @throws when the schema is newer than this build knows, or a step fails.
 */
export async function migrate(
  client: PoolClient,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  checkSchemaName(schema);
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('tidings.migrate.' || $1, 0))", [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > migrations.length) {
      throw new Error(
        `PostgreSQL schema ${schema} is at version ${current}, newer than this build supports (${migrations.length}); upgrade Tidings`,
      );
    }
    for (let v = current + 1; v <= migrations.length; v++) {
      const step = migrations[v - 1];
      if (step === undefined) throw new Error(`missing migration ${v}`);
      try {
        await client.query(step.sql);
      } catch (cause) {
        throw new Error(`PostgreSQL migration ${v} (${step.name}) failed`, { cause });
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [v, step.name]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The schema's recorded version (0 when it has no migrations table). */
export async function schemaVersion(client: PoolClient, schema: string): Promise<number> {
  checkSchemaName(schema);
  const { rows } = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
    `${schema}.schema_migrations`,
  ]);
  if (rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${schema}.schema_migrations`);
  return r.rows[0]?.v ?? 0;
}
