import { MESSAGE_FLAG_RECALLED, RANGE_ROW_OVERHEAD } from '../port.ts';
import { VERSION_BUCKET } from './schema.ts';

/** `version_floor` of a version (schema.ts, migration 9). */
const FLOOR_MASK = `~${VERSION_BUCKET - 1}::bigint`;

/**
 * Every statement the PostgreSQL store runs, with the row mappers beside the
 * column lists they depend on. Tables are unqualified: each pooled connection
 * has its `search_path` set to the store's schema. Statements run as named
 * prepared statements, so the hot path parses and plans them once per
 * connection.
 */

/** A named prepared statement. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

const st = (name: string, text: string): Statement => ({ name: `tidings.${name}`, text });

const MESSAGE_COLUMNS =
  'app_key, conv_id, seq, msg_id, sender_id, sender_device, client_msg_id, sender_seq, type, content, ts, flags';

/** Reads and small writes outside the hot path. */
export const SQL = {
  insertApp: st(
    'insertApp',
    'INSERT INTO apps (app_key, name, app_secret, token_key, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
  ),
  getApp: st('getApp', 'SELECT * FROM apps WHERE app_key = $1'),
  listApps: st('listApps', 'SELECT * FROM apps ORDER BY app_key'),
  setAppDisabled: st('setAppDisabled', 'UPDATE apps SET disabled = $1 WHERE app_key = $2'),
  /**
   * A page of at most $5 messages, cut before the first whose content would
   * bring the page past $6 bytes (sealed sizes, RANGE_ROW_OVERHEAD more each;
   * null: no cut; the first message always). The running sum is taken over
   * the limited page only, and octet_length reads a TOASTed value's size
   * without fetching it, so the messages cut are never read.
   */
  readRange: st(
    'readRange',
    `SELECT ${MESSAGE_COLUMNS} FROM (
       SELECT page.*, row_number() OVER w AS rn, sum(octet_length(content) + ${RANGE_ROW_OVERHEAD}) OVER w AS run
       FROM (SELECT ${MESSAGE_COLUMNS} FROM messages
             WHERE app_key = $1 AND conv_id = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq LIMIT $5) page
       WINDOW w AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)) t
     WHERE rn = 1 OR $6::bigint IS NULL OR run <= $6::bigint
     ORDER BY seq`,
  ),
  maxSeq: st('maxSeq', 'SELECT max_seq FROM conversations WHERE app_key = $1 AND conv_id = $2'),
  /**
   * The index is on the version's bucket (schema.ts, migration 9): every
   * entry newer than the cursor is in the cursor's bucket or a later one, and
   * ordering by (bucket, version) is ordering by version, which the index
   * gives bucket by bucket (an incremental sort that stops at the limit).
   */
  changesSince: st(
    'changesSince',
    `SELECT conv_id, max_seq, version FROM user_changes
     WHERE app_key = $1 AND user_id = $2 AND version_floor >= ($3::bigint & ${FLOOR_MASK}) AND version > $3
     ORDER BY version_floor, version LIMIT $4`,
  ),
  raiseDelivered: st(
    'raiseDelivered',
    `INSERT INTO delivered AS d (app_key, user_id, device_id, conv_id, seq) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (app_key, user_id, device_id, conv_id) DO UPDATE SET seq = greatest(d.seq, excluded.seq)`,
  ),
  getDelivered: st(
    'getDelivered',
    'SELECT seq FROM delivered WHERE app_key = $1 AND user_id = $2 AND device_id = $3 AND conv_id = $4',
  ),
  rotateSecret: st(
    'rotateSecret',
    `UPDATE apps SET previous_secret = app_secret, previous_secret_expires_at = $1, app_secret = $2
     WHERE app_key = $3 RETURNING *`,
  ),
  claimNonce: st(
    'claimNonce',
    `INSERT INTO api_nonces AS t (app_key, nonce, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (app_key, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE t.expires_at <= $4`,
  ),
  purgeNonces: st('purgeNonces', 'DELETE FROM api_nonces WHERE expires_at <= $1'),
  getUser: st('getUser', 'SELECT * FROM users WHERE app_key = $1 AND user_id = $2'),
  upsertUser: st(
    'upsertUser',
    `INSERT INTO users AS t (app_key, user_id, name, avatar_url, extra, blocked, tokens_valid_after, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, false, 0, $6, $6)
     ON CONFLICT (app_key, user_id) DO UPDATE SET name = excluded.name, avatar_url = excluded.avatar_url,
       extra = excluded.extra, updated_at = excluded.updated_at,
       created_at = CASE WHEN t.deleted_at > 0 THEN excluded.created_at ELSE t.created_at END, deleted_at = 0
     RETURNING *`,
  ),
  setUserBlocked: st(
    'setUserBlocked',
    `INSERT INTO users AS t (app_key, user_id, name, avatar_url, extra, blocked, tokens_valid_after, created_at, updated_at)
     VALUES ($1, $2, '', '', '', $3, 0, $4, $4)
     ON CONFLICT (app_key, user_id) DO UPDATE SET blocked = excluded.blocked, updated_at = excluded.updated_at
     RETURNING *`,
  ),
  revokeUserTokens: st(
    'revokeUserTokens',
    `INSERT INTO users AS t (app_key, user_id, name, avatar_url, extra, blocked, tokens_valid_after, created_at, updated_at)
     VALUES ($1, $2, '', '', '', false, $3, $4, $4)
     ON CONFLICT (app_key, user_id) DO UPDATE
       SET tokens_valid_after = greatest(t.tokens_valid_after, excluded.tokens_valid_after), updated_at = excluded.updated_at
     RETURNING *`,
  ),
  deleteUser: st(
    'deleteUser',
    `INSERT INTO users AS t (app_key, user_id, name, avatar_url, extra, blocked, tokens_valid_after, deleted_at, created_at, updated_at)
     VALUES ($1, $2, '', '', '', false, $3, $3, $3, $3)
     ON CONFLICT (app_key, user_id) DO UPDATE
       SET name = '', avatar_url = '', extra = '', blocked = false,
         tokens_valid_after = greatest(t.tokens_valid_after, excluded.tokens_valid_after),
         deleted_at = CASE WHEN t.deleted_at > 0 THEN t.deleted_at ELSE excluded.deleted_at END, updated_at = excluded.updated_at
     RETURNING *`,
  ),
  listDeletedUsers: st('listDeletedUsers', 'SELECT app_key, user_id FROM users WHERE deleted_at > 0'),
} as const;

/**
 * The hot path: three statements per batch whatever its size (plus BEGIN and
 * COMMIT). Arrays travel as binary parameters (`binary-arrays.ts`) and
 * `unnest` turns them into rows; one statement per table per batch.
 */
export const COMMIT_SQL = {
  /**
   * Seq reservation: creates missing conversations and row-locks all of them
   * in the given (sorted) order, raising each max seq by the number of the
   * batch's sends to it (every send stored is the common case), and returns
   * the new top: the batch's seqs are top - n + 1 .. top. The upsert is what
   * takes the lock; unlike SELECT ... FOR UPDATE it also covers a row
   * another node is inserting right now, and it waits for the previous
   * holder's commit, then adds to its value. Sends that are not stored
   * (duplicates, gaps, refusals) hand their seqs back in the write statement
   * (`fix`), under the same lock, before anyone can see them. The rows come
   * from `unnest` in the select list, which yields them in array order
   * straight into the insert (nothing between them to reorder), so the locks
   * are taken in the caller's order.
   */
  reserve: st(
    'commit.reserve',
    `INSERT INTO conversations AS t (app_key, conv_id, kind, max_seq)
     SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), unnest($4::bigint[])
     ON CONFLICT (app_key, conv_id) DO UPDATE SET max_seq = t.max_seq + excluded.max_seq
     RETURNING app_key, conv_id, max_seq`,
  ),

  /**
   * Per input that has one (by ordinality): the sender cursor and the message
   * already stored under its clientMsgId. Runs after the locks, so its
   * snapshot holds everything committed by earlier lock holders. The LATERAL
   * subqueries fix the plan to one index probe per input (into one partition
   * of messages, pruned at run time): a join would let the planner pick a
   * hash join over a sequential scan of every partition, which it does for
   * tables up to a few hundred thousand rows (measured: 11 ms per 500-send
   * batch at 60,000 messages, growing with the table).
   *
   * The clientMsgId probe is skipped, unless `$7` (exact) is set, for a send
   * whose senderSeq ($6) is the cursor's next: the common case, which the
   * rules store unless its clientMsgId was used before. Such a send is then
   * taken as new; if it was a repeat after all, inserting it breaks the
   * messages' unique key on the clientMsgId (the dedupe record), and the
   * caller runs the batch again exact (see `commitBatch`). A server API send
   * (senderSeq 0, dedupe by clientMsgId only) is always probed.
   */
  readState: st(
    'commit.readState',
    `SELECT u.i, cur.last_sender_seq, m.seq, m.msg_id, m.sender_seq, m.type, m.content, m.ts, m.flags, m.sender_device
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY AS u(a, c, s, d, cm, q, i)
     LEFT JOIN LATERAL (
       SELECT last_sender_seq FROM sender_cursors
       WHERE app_key = u.a AND conv_id = u.c AND sender_id = u.s AND sender_device = u.d OFFSET 0) cur ON true
     LEFT JOIN LATERAL (
       SELECT * FROM (
         SELECT seq, msg_id, sender_seq, type, content, ts, flags, sender_device FROM messages
         WHERE app_key = u.a AND conv_id = u.c AND sender_id = u.s AND client_msg_id = u.cm OFFSET 0) probe
       WHERE $7::boolean OR u.q = 0 OR u.q <> coalesce(cur.last_sender_seq, 0) + 1 OFFSET 0) m ON true
     WHERE cur.last_sender_seq IS NOT NULL OR m.seq IS NOT NULL`,
  ),

  /**
   * Writes a whole batch in one statement: messages and their msgId records,
   * sender cursors, the seqs handed back by sends that were not stored
   * (`fix`, usually empty; an upsert on rows the batch already locked, so
   * its plan is index probes whatever the table size), webhook outbox entries (ids in array order, so in
   * seq order within a lane), then per-user versions (locked and bumped by n
   * in sorted order, returning the new top) and the change index entries,
   * whose versions count back from that top. An entry names its user by
   * position (`k`, 1-based) in the version arrays: the upsert returns its rows
   * in input order (one row in, one row out, in turn), so `vs` holds each
   * user's top at that position, a lookup instead of a join on the text keys
   * (which the planner made a merge join over two sorts). The user id's hash
   * is checked at that position, so a row out of order fails the batch
   * rather than giving a wrong version.
   *
   * Every multi-row source is `unnest` in the select list (ProjectSet):
   * rows stream into the insert in array order, unlike `FROM unnest(...)`,
   * which first copies them into a tuplestore (about 2 us more per row).
   */
  write: st(
    'commit.write',
    `WITH
     m AS (
       INSERT INTO messages (${MESSAGE_COLUMNS})
       SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::bigint[]), unnest($4::text[]), unnest($5::text[]),
              unnest($6::text[]), unnest($7::text[]), unnest($8::bigint[]), unnest($9::text[]), unnest($10::bytea[]),
              unnest($11::bigint[]), unnest($12::integer[])),
     ids AS (
       INSERT INTO message_ids (msg_id, app_key, conv_id, seq)
       SELECT unnest($4::text[]), unnest($1::text[]), unnest($2::text[]), unnest($3::bigint[])),
     cur AS (
       INSERT INTO sender_cursors AS t (app_key, conv_id, sender_id, sender_device, last_sender_seq)
       SELECT unnest($13::text[]), unnest($14::text[]), unnest($15::text[]), unnest($16::text[]), unnest($17::bigint[])
       ON CONFLICT (app_key, conv_id, sender_id, sender_device) DO UPDATE SET last_sender_seq = excluded.last_sender_seq),
     fix AS (
       INSERT INTO conversations AS t (app_key, conv_id, max_seq, kind)
       SELECT unnest($18::text[]), unnest($19::text[]), unnest($20::bigint[]), ''
       ON CONFLICT (app_key, conv_id) DO UPDATE SET max_seq = excluded.max_seq),
     wh AS (
       INSERT INTO webhook_outbox (app_key, lane, event, conv_id, seq, payload, idempotency_key, created_at, next_at)
       SELECT a, c, 'message', c, s, '', k, t, t
       FROM (SELECT unnest($29::text[]) AS a, unnest($30::text[]) AS c, unnest($31::bigint[]) AS s, unnest($32::text[]) AS k,
                    unnest($33::bigint[]) AS t) u),
     v AS (
       INSERT INTO user_versions AS t (app_key, user_id, version)
       SELECT unnest($21::text[]), unnest($22::text[]), unnest($23::bigint[])
       ON CONFLICT (app_key, user_id) DO UPDATE SET version = t.version + excluded.version
       RETURNING user_id, version),
     vs AS (SELECT array_agg(version) AS version, array_agg(hashtext(user_id)) AS h FROM v)
     INSERT INTO user_changes AS t (app_key, user_id, conv_id, max_seq, version, version_floor)
     SELECT x.a, x.u, x.c, x.s,
       CASE WHEN vs.h[x.k] = hashtext(x.u) THEN vs.version[x.k] - x.back
       ELSE ('user_versions returned row ' || x.k || ' out of input order')::bigint END,
       (vs.version[x.k] - x.back) & ${FLOOR_MASK}
     FROM (SELECT unnest($24::text[]) AS a, unnest($25::text[]) AS u, unnest($26::text[]) AS c, unnest($27::bigint[]) AS s,
                  unnest($28::bigint[]) AS back, unnest($34::integer[]) AS k) x, vs
     ON CONFLICT (app_key, user_id, conv_id)
     DO UPDATE SET max_seq = excluded.max_seq, version = excluded.version, version_floor = excluded.version_floor`,
  ),

  /**
   * Recalls of messages stored by earlier batches, one statement per
   * conversation (recalls are rare; equality on the partition key prunes to
   * one partition and probes its primary key, whatever the table size). A
   * recall of a message of the same batch is applied before its insert.
   */
  recall: st(
    'commit.recall',
    `UPDATE messages SET flags = flags | ${MESSAGE_FLAG_RECALLED}, content = ''::bytea
     WHERE app_key = $1 AND conv_id = $2 AND seq = ANY($3::bigint[])`,
  ),
} as const;

/** Row mapping shared by both adapters (same column names and types). */
export { toApp, toMessage, toUser } from '../rows.ts';
