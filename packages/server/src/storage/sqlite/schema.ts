import type { DatabaseSync } from 'node:sqlite';

/**
 * The SQLite schema as an append-only list of migrations. `PRAGMA
 * user_version` records how many have run; opening a database runs the
 * missing ones in one transaction. Never edit a released step: add one.
 */

/** One schema step; its 1-based position in the list is its version. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** Every schema step, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'initial schema',
    sql: `
      CREATE TABLE apps (
        app_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        app_secret TEXT NOT NULL,
        token_key TEXT NOT NULL,
        disabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE conversations (
        app_key TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        max_seq INTEGER NOT NULL,
        PRIMARY KEY (app_key, conv_id)
      ) STRICT, WITHOUT ROWID;

      -- A rowid table: content can be up to tens of KiB, which WITHOUT ROWID
      -- handles poorly. The unique index on the sender's clientMsgId is the
      -- dedupe record, so it commits with the row by construction.
      CREATE TABLE messages (
        app_key TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        msg_id TEXT NOT NULL UNIQUE,
        sender_id TEXT NOT NULL,
        sender_device TEXT NOT NULL,
        client_msg_id TEXT NOT NULL,
        sender_seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        content BLOB NOT NULL,
        ts INTEGER NOT NULL,
        flags INTEGER NOT NULL,
        PRIMARY KEY (app_key, conv_id, seq)
      ) STRICT;
      CREATE UNIQUE INDEX messages_dedupe ON messages (app_key, conv_id, sender_id, client_msg_id);

      CREATE TABLE sender_cursors (
        app_key TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_device TEXT NOT NULL,
        last_sender_seq INTEGER NOT NULL,
        PRIMARY KEY (app_key, conv_id, sender_id, sender_device)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE user_changes (
        app_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        max_seq INTEGER NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (app_key, user_id, conv_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX user_changes_by_version ON user_changes (app_key, user_id, version);

      -- A counter rather than max(version) of user_changes, so a version is
      -- never reused even if entries are ever deleted.
      CREATE TABLE user_versions (
        app_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (app_key, user_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE delivered (
        app_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (app_key, user_id, device_id, conv_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    name: 'server API: secret rotation, users, nonces',
    sql: `
      ALTER TABLE apps ADD COLUMN previous_secret TEXT;
      ALTER TABLE apps ADD COLUMN previous_secret_expires_at INTEGER;

      CREATE TABLE users (
        app_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        avatar_url TEXT NOT NULL,
        extra TEXT NOT NULL,
        blocked INTEGER NOT NULL,
        tokens_valid_after INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (app_key, user_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE api_nonces (
        app_key TEXT NOT NULL,
        nonce TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (app_key, nonce)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX api_nonces_by_expiry ON api_nonces (expires_at);
    `,
  },
  {
    name: 'groups and group members',
    sql: `
      CREATE TABLE groups (
        app_key TEXT NOT NULL,
        group_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        extra TEXT NOT NULL,
        history_visible INTEGER NOT NULL,
        mute_all INTEGER NOT NULL,
        exempt TEXT NOT NULL,
        dismissed INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_key, group_id)
      ) STRICT, WITHOUT ROWID;

      -- Former members keep their row (left_seq > 0): it bounds what they may read.
      CREATE TABLE group_members (
        app_key TEXT NOT NULL,
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_seq INTEGER NOT NULL,
        left_seq INTEGER NOT NULL,
        muted_until INTEGER NOT NULL,
        PRIMARY KEY (app_key, group_id, user_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },  {
    name: 'webhooks: settings and outbox',
    sql: `
      CREATE TABLE webhook_configs (
        app_key TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        timeout_ms INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        max_age_ms INTEGER NOT NULL,
        pre_send_url TEXT NOT NULL,
        pre_send_timeout_ms INTEGER NOT NULL,
        fail_open INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Callbacks waiting for a 2xx, and the dead-letter list (dead = 1).
      -- Delivery order within a lane is id order.
      CREATE TABLE webhook_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_key TEXT NOT NULL,
        lane TEXT NOT NULL,
        event TEXT NOT NULL,
        conv_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        lease_until INTEGER NOT NULL DEFAULT 0,
        lease_token TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '',
        dead INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX webhook_outbox_lanes ON webhook_outbox (dead, app_key, lane, id);
      CREATE INDEX webhook_outbox_dead ON webhook_outbox (app_key, dead, id);
    `,
  },
  {
    name: 'data keys for encryption at rest',
    sql: `
      CREATE TABLE data_keys (
        app_key TEXT NOT NULL,
        key_id INTEGER NOT NULL,
        wrapped BLOB NOT NULL,
        PRIMARY KEY (app_key, key_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    name: 'user deletion (tombstones)',
    sql: `
      ALTER TABLE users ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX users_deleted ON users (app_key, user_id) WHERE deleted_at > 0;
    `,
  },
  {
    name: 'chatrooms: owner lease, seq high-water mark, state and sealed attributes',
    sql: `
      CREATE TABLE rooms (
        app_key TEXT NOT NULL,
        room_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        lease_until INTEGER NOT NULL,
        seq_hw INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        attrs TEXT NOT NULL,
        PRIMARY KEY (app_key, room_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX rooms_owner ON rooms (owner);
    `,
  },
];

/** The schema version of `db` (0 for a new database). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

/**
 * Brings `db` up to `migrations.length`, running each missing step and the
 * version bump in one IMMEDIATE transaction, so concurrent openers cannot
 * both migrate and a failed step leaves the previous version intact.
 *
 * @throws when the database is newer than this build knows, or a step fails.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = schemaVersion(db);
    if (current > migrations.length) {
      throw new Error(
        `SQLite database schema version ${current} is newer than this build supports (${migrations.length}); upgrade Tidings`,
      );
    }
    for (let v = current + 1; v <= migrations.length; v++) {
      const step = migrations[v - 1];
      if (step === undefined) throw new Error(`missing migration ${v}`);
      try {
        db.exec(step.sql);
      } catch (cause) {
        throw new Error(`SQLite migration ${v} (${step.name}) failed`, { cause });
      }
      // PRAGMA takes no bound parameters; v is a loop integer.
      db.exec(`PRAGMA user_version = ${v}`);
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
