import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SendInput, SendOutcome, WebhookConfig, WebhookEnqueue, WebhookEvent } from '../port.ts';
import { toWebhookEntry } from '../rows.ts';

/**
 * Webhook settings and the callback outbox of the SQLite store. Outbox rows
 * are ordered by their rowid-backed `id`; a lane's head is its lowest live id.
 */

/** Webhook statements of the SQLite store, prepared once. */
export type WebhookStatements = ReturnType<typeof prepareWebhookStatements>;

const OUTBOX_COLUMNS = 'app_key, lane, event, conv_id, seq, payload, idempotency_key, created_at';

/** Prepares the webhook statements on `db`. */
export function prepareWebhookStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    getConfig: p('SELECT * FROM webhook_configs WHERE app_key = ?'),
    setConfig: p(
      `INSERT INTO webhook_configs (app_key, url, events, timeout_ms, max_attempts, max_age_ms, pre_send_url, pre_send_timeout_ms, fail_open, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET url = excluded.url, events = excluded.events, timeout_ms = excluded.timeout_ms,
         max_attempts = excluded.max_attempts, max_age_ms = excluded.max_age_ms, pre_send_url = excluded.pre_send_url,
         pre_send_timeout_ms = excluded.pre_send_timeout_ms, fail_open = excluded.fail_open, updated_at = excluded.updated_at`,
    ),
    insert: p(`INSERT INTO webhook_outbox (${OUTBOX_COLUMNS}, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // One statement, so atomic against other connections: lease each due lane head.
    claim: p(
      `UPDATE webhook_outbox SET lease_until = ?, lease_token = ?
       WHERE id IN (
         SELECT o.id FROM (SELECT min(id) AS id FROM webhook_outbox WHERE dead = 0 GROUP BY app_key, lane) h
         JOIN webhook_outbox o ON o.id = h.id
         WHERE o.next_at <= ? AND o.lease_until <= ?
         ORDER BY o.next_at, o.id LIMIT ?)
       RETURNING *`,
    ),
    complete: p('DELETE FROM webhook_outbox WHERE id = ? AND lease_token = ?'),
    fail: p(
      `UPDATE webhook_outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, dead = ?, lease_until = 0, lease_token = ''
       WHERE id = ? AND lease_token = ?`,
    ),
    dead: p('SELECT * FROM webhook_outbox WHERE app_key = ? AND dead = 1 AND id > ? ORDER BY id LIMIT ?'),
    replayAll: p('UPDATE webhook_outbox SET dead = 0, attempts = 0, next_at = ?, lease_until = 0 WHERE app_key = ? AND dead = 1'),
    replayOne: p('UPDATE webhook_outbox SET dead = 0, attempts = 0, next_at = ?, lease_until = 0 WHERE app_key = ? AND dead = 1 AND id = ?'),
    pending: p('SELECT count(*) AS n FROM webhook_outbox WHERE app_key = ? AND dead = 0'),
  };
}

/** Maps a `webhook_configs` row. */
export function toWebhookConfig(row: Record<string, unknown>): WebhookConfig {
  return {
    appKey: row.app_key as string,
    url: row.url as string,
    events: (row.events as string).split(',').filter(Boolean) as WebhookEvent[],
    timeoutMs: row.timeout_ms as number,
    maxAttempts: row.max_attempts as number,
    maxAgeMs: row.max_age_ms as number,
    preSendUrl: row.pre_send_url as string,
    preSendTimeoutMs: row.pre_send_timeout_ms as number,
    failOpen: row.fail_open === 1,
    updatedAt: row.updated_at as number,
  };
}

export { toWebhookEntry };

/** Binds a config to `setConfig`. */
export function configValues(c: WebhookConfig): Array<string | number> {
  return [c.appKey, c.url, c.events.join(','), c.timeoutMs, c.maxAttempts, c.maxAgeMs, c.preSendUrl, c.preSendTimeoutMs, c.failOpen ? 1 : 0, c.updatedAt];
}

/** Inserts one outbox row. */
export function insertEntry(w: WebhookStatements, e: WebhookEnqueue): void {
  w.insert.run(e.appKey, e.lane, e.event, e.convId, e.seq, e.payload, e.idempotencyKey, e.createdAt, e.createdAt);
}

/** Inside the commit's transaction: one message callback per stored send that asked for one. */
export function enqueueStored(w: WebhookStatements, batch: readonly SendInput[], outcomes: readonly SendOutcome[]): void {
  for (let i = 0; i < batch.length; i++) {
    const input = batch[i]!;
    const outcome = outcomes[i];
    if (!input.webhook || outcome?.status !== 'stored') continue;
    const m = outcome.message;
    insertEntry(w, { appKey: m.appKey, lane: m.convId, event: 'message', convId: m.convId, seq: m.seq, payload: '', idempotencyKey: m.msgId, createdAt: m.ts });
  }
}
