import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Presence } from '../port.ts';

/** Options of {@link createPostgresPresence}. */
export interface PostgresPresenceOptions {
  readonly url: string;
  /** Schema holding the two presence tables (created when missing). */
  readonly schema: string;
  /** This node's id, for operators reading the table. */
  readonly nodeId: string;
  /** How often this node proves it is alive, ms. */
  readonly heartbeatMs: number;
  /** A node silent this long is removed with its users, ms (several heartbeats). */
  readonly ttlMs: number;
  readonly now?: () => number;
  /** Failures (the next heartbeat rewrites this node's rows). Never per message. */
  readonly onError?: (err: unknown) => void;
}

const SCHEMA_LOCK = 7_362_001; // pg_advisory_xact_lock key: nodes starting at once create the tables once

/**
 * Cluster presence in PostgreSQL. Each node run is an instance row with a
 * heartbeat; each (user, instance) with a device is a row. Every heartbeat
 * also removes instances silent for `ttlMs` (and, by cascade, their users),
 * so a killed, paused or partitioned node's users stop counting as online
 * within `ttlMs`; a paused node that comes back re-registers and rewrites
 * its rows. Writes are best effort and serialised; a failed one marks the
 * rows dirty and the next heartbeat rewrites them all.
 */
export async function createPostgresPresence(o: PostgresPresenceOptions): Promise<Presence & { readonly instance: string; members(): readonly string[] }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(o.schema)) throw new RangeError(`bad schema name ${o.schema}`);
  const now = o.now ?? Date.now;
  const instance = `${o.nodeId}-${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: o.url, max: 2, options: `-c search_path=${o.schema}`, query_timeout: 10_000, connectionTimeoutMillis: 10_000 });
  pool.on('error', (err) => o.onError?.(err));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS presence_nodes (instance text PRIMARY KEY, node_id text NOT NULL, heartbeat_at bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS presence_users (
        app_key text NOT NULL, user_id text NOT NULL,
        instance text NOT NULL REFERENCES presence_nodes ON DELETE CASCADE,
        PRIMARY KEY (app_key, user_id, instance)
      );
      CREATE INDEX IF NOT EXISTS presence_users_instance ON presence_users (instance);`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    await pool.end();
    throw err;
  }
  client.release();

  const local = new Map<string, [string, string]>();
  const SEP = '\u0000';
  let chain: Promise<unknown> = Promise.resolve();
  let dirty = true;
  let live: string[] = [];
  let closed = false;
  const serial = (fn: () => Promise<unknown>): Promise<unknown> =>
    (chain = chain.then(fn).catch((err: unknown) => {
      dirty = true;
      o.onError?.(err);
    }));

  const register = async (): Promise<void> => {
    const t = now();
    const { rowCount } = await pool.query('UPDATE presence_nodes SET heartbeat_at = $2 WHERE instance = $1', [instance, t]);
    if (rowCount === 0) {
      // First beat, or this node was declared dead while paused: come back with every user.
      await pool.query('INSERT INTO presence_nodes VALUES ($1, $2, $3) ON CONFLICT (instance) DO UPDATE SET heartbeat_at = $3', [instance, o.nodeId, t]);
      dirty = true;
    }
    if (dirty) {
      dirty = false;
      const users = [...local.values()];
      await pool.query('DELETE FROM presence_users WHERE instance = $1', [instance]);
      await pool.query('INSERT INTO presence_users SELECT a, u, $3 FROM unnest($1::text[], $2::text[]) AS x(a, u) ON CONFLICT DO NOTHING', [
        users.map((x) => x[0]),
        users.map((x) => x[1]),
        instance,
      ]);
    }
    await pool.query('DELETE FROM presence_nodes WHERE heartbeat_at < $1', [t - o.ttlMs]);
    const { rows } = await pool.query('SELECT instance FROM presence_nodes WHERE heartbeat_at >= $1 ORDER BY instance', [t - o.ttlMs]);
    live = rows.map((r: { instance: string }) => r.instance);
  };
  await serial(register);
  const timer = setInterval(() => void serial(register), o.heartbeatMs);
  timer.unref();

  return {
    instance,
    self: instance,
    members: () => live,
    changed(appKey, userId, online) {
      if (closed) return;
      const key = appKey + SEP + userId;
      if (online) local.set(key, [appKey, userId]);
      else local.delete(key);
      void serial(() =>
        online
          ? pool.query('INSERT INTO presence_users VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [appKey, userId, instance])
          : pool.query('DELETE FROM presence_users WHERE app_key = $1 AND user_id = $2 AND instance = $3', [appKey, userId, instance]),
      );
    },
    async isOnline(appKey, userId) {
      const { rowCount } = await pool.query(
        `SELECT 1 FROM presence_users p JOIN presence_nodes n USING (instance)
         WHERE p.app_key = $1 AND p.user_id = $2 AND n.heartbeat_at >= $3 LIMIT 1`,
        [appKey, userId, now() - o.ttlMs],
      );
      return rowCount === 1;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await chain;
      // A graceful stop leaves at once instead of waiting to expire.
      await pool.query('DELETE FROM presence_nodes WHERE instance = $1', [instance]).catch((err: unknown) => o.onError?.(err));
      await pool.end();
    },
  };
}
