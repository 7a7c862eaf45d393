import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { MESSAGE_FLAG_RECALLED, RANGE_ROW_OVERHEAD } from '../port.ts';

/**
 * Every statement the SQLite store runs, prepared once per store so the hot
 * path never compiles SQL. Row mappers live here too, beside the column
 * lists they depend on.
 */

const MESSAGE_COLUMNS =
  'app_key, conv_id, seq, msg_id, sender_id, sender_device, client_msg_id, sender_seq, type, content, ts, flags';

/** What a range read selects: the message columns but the two it filters on. */
export const RANGE_COLUMNS = 'seq, msg_id, sender_id, sender_device, client_msg_id, sender_seq, type, content, ts, flags';

/** A range read: (appKey, convId, fromSeq, toSeq, limit). */
export const RANGE_SQL = `SELECT ${RANGE_COLUMNS} FROM messages WHERE app_key = ? AND conv_id = ? AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?`;

/** Rows a range read takes first, before it knows how big they are. */
const RANGE_FIRST_ROWS = 16;

/**
 * The rows of a range read within a byte budget (Store.readRange: sealed
 * content + RANGE_ROW_OVERHEAD a row, the first row always): first a few
 * rows, then the rest of the page only if they left budget. A page of big
 * messages reads a few rows instead of `limit`; a page of small ones costs
 * one statement more. The caller opens only the rows returned.
 */
export function readRangeRows(stmt: StatementSync, appKey: string, convId: string, fromSeq: number, toSeq: number, limit: number, maxBytes: number): RangeRow[] {
  if (maxBytes === Infinity) return stmt.all(appKey, convId, fromSeq, toSeq, limit) as unknown as RangeRow[];
  const out: RangeRow[] = [];
  let counted = 0;
  let from = fromSeq;
  let want = Math.min(limit, RANGE_FIRST_ROWS);
  for (;;) {
    const rows = stmt.all(appKey, convId, from, toSeq, want) as unknown as RangeRow[];
    for (const row of rows) {
      counted += row[7].byteLength + RANGE_ROW_OVERHEAD;
      if (out.length > 0 && counted > maxBytes) return out;
      out.push(row);
    }
    if (rows.length < want || out.length >= limit) return out;
    from = rows[rows.length - 1]![0] + 1;
    want = limit - out.length;
  }
}

/** A readRange row (the statement returns arrays). */
export type RangeRow = [seq: number, msgId: string, senderId: string, senderDevice: string, clientMsgId: string, senderSeq: number, type: string, content: Uint8Array, ts: number, flags: number];

/** The prepared statements of one store. */
export type Statements = ReturnType<typeof prepareStatements>;

/** Prepares every statement of the store on `db`. */
export function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  const arrays = (st: StatementSync): StatementSync => (st.setReturnArrays(true), st);
  return {
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
    rollback: p('ROLLBACK'),

    insertApp: p(
      'INSERT INTO apps (app_key, name, app_secret, token_key, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getApp: p('SELECT * FROM apps WHERE app_key = ?'),
    listApps: p('SELECT * FROM apps ORDER BY app_key'),
    setAppDisabled: p('UPDATE apps SET disabled = ? WHERE app_key = ?'),

    findOriginal: p(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE app_key = ? AND conv_id = ? AND sender_id = ? AND client_msg_id = ?`,
    ),
    getSenderCursor: p(
      'SELECT last_sender_seq FROM sender_cursors WHERE app_key = ? AND conv_id = ? AND sender_id = ? AND sender_device = ?',
    ),
    getMaxSeq: p('SELECT max_seq FROM conversations WHERE app_key = ? AND conv_id = ?'),
    getUserVersion: p('SELECT version FROM user_versions WHERE app_key = ? AND user_id = ?'),
    insertMessage: p(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upsertSenderCursor: p(
      `INSERT INTO sender_cursors (app_key, conv_id, sender_id, sender_device, last_sender_seq) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET last_sender_seq = excluded.last_sender_seq`,
    ),
    upsertConversation: p(
      `INSERT INTO conversations (app_key, conv_id, kind, max_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET max_seq = excluded.max_seq`,
    ),
    upsertUserVersion: p(
      `INSERT INTO user_versions (app_key, user_id, version) VALUES (?, ?, ?)
       ON CONFLICT DO UPDATE SET version = excluded.version`,
    ),
    upsertUserChange: p(
      `INSERT INTO user_changes (app_key, user_id, conv_id, max_seq, version) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET max_seq = excluded.max_seq, version = excluded.version`,
    ),

    // App and conversation are the caller's: not read back per row.
    readRange: arrays(p(RANGE_SQL)),
    changesSince: p(
      `SELECT conv_id, max_seq, version FROM user_changes
       WHERE app_key = ? AND user_id = ? AND version > ? ORDER BY version LIMIT ?`,
    ),
    raiseDelivered: p(
      `INSERT INTO delivered (app_key, user_id, device_id, conv_id, seq) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET seq = max(seq, excluded.seq)`,
    ),
    getDelivered: p('SELECT seq FROM delivered WHERE app_key = ? AND user_id = ? AND device_id = ? AND conv_id = ?'),

    markRecalled: p(
      `UPDATE messages SET flags = flags | ${MESSAGE_FLAG_RECALLED}, content = x'' WHERE app_key = ? AND conv_id = ? AND seq = ?`,
    ),
    rotateSecret: p(
      `UPDATE apps SET previous_secret = app_secret, previous_secret_expires_at = ?, app_secret = ? WHERE app_key = ?`,
    ),
    claimNonce: p(
      `INSERT INTO api_nonces (app_key, nonce, expires_at) VALUES (?, ?, ?)
       ON CONFLICT DO UPDATE SET expires_at = excluded.expires_at WHERE api_nonces.expires_at <= ?`,
    ),
    purgeNonces: p('DELETE FROM api_nonces WHERE expires_at <= ?'),
    getUser: p('SELECT * FROM users WHERE app_key = ? AND user_id = ?'),
    upsertUser: p(
      `INSERT INTO users (app_key, user_id, name, avatar_url, extra, blocked, tokens_valid_after, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)
       ON CONFLICT DO UPDATE SET name = excluded.name, avatar_url = excluded.avatar_url, extra = excluded.extra,
         updated_at = excluded.updated_at,
         created_at = CASE WHEN users.deleted_at > 0 THEN excluded.created_at ELSE users.created_at END, deleted_at = 0`,
    ),
    ensureUser: p(
      `INSERT INTO users (app_key, user_id, name, avatar_url, extra, blocked, tokens_valid_after, created_at, updated_at)
       VALUES (?, ?, '', '', '', 0, 0, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    setUserBlocked: p('UPDATE users SET blocked = ?, updated_at = ? WHERE app_key = ? AND user_id = ?'),
    revokeUserTokens: p(
      `UPDATE users SET tokens_valid_after = max(tokens_valid_after, ?), updated_at = ? WHERE app_key = ? AND user_id = ?`,
    ),
    deleteUser: p(
      `UPDATE users SET name = '', avatar_url = '', extra = '', blocked = 0, tokens_valid_after = max(tokens_valid_after, ?1),
         deleted_at = CASE WHEN deleted_at > 0 THEN deleted_at ELSE ?1 END, updated_at = ?1
       WHERE app_key = ?2 AND user_id = ?3`,
    ),
    listDeletedUsers: p('SELECT app_key, user_id FROM users WHERE deleted_at > 0'),
  };
}



/** Row mapping shared by both adapters (same column names and types). */
export { toApp, toMessage, toUser } from '../rows.ts';
