import type { WebhookConfig, WebhookEnqueue, WebhookEvent } from '../port.ts';
import type { Statement } from './sql.ts';
import { toWebhookEntry } from '../rows.ts';

/**
 * Webhook settings and the callback outbox of the PostgreSQL store. Several
 * nodes claim from one outbox: a claim row-locks lane heads with SKIP LOCKED
 * and re-checks the lease in the UPDATE, so no entry is ever leased twice.
 */

const st = (name: string, text: string): Statement => ({ name: `tidings.webhooks.${name}`, text });

/** Webhook statements. */
export const WEBHOOK_SQL = {
  getConfig: st('getConfig', 'SELECT * FROM webhook_configs WHERE app_key = $1'),
  setConfig: st(
    'setConfig',
    `INSERT INTO webhook_configs (app_key, url, events, timeout_ms, max_attempts, max_age_ms, pre_send_url, pre_send_timeout_ms, fail_open, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (app_key) DO UPDATE SET url = excluded.url, events = excluded.events, timeout_ms = excluded.timeout_ms,
       max_attempts = excluded.max_attempts, max_age_ms = excluded.max_age_ms, pre_send_url = excluded.pre_send_url,
       pre_send_timeout_ms = excluded.pre_send_timeout_ms, fail_open = excluded.fail_open, updated_at = excluded.updated_at`,
  ),
  /** Many rows in one statement, ids in array order (so in lane order). */
  insert: st(
    'insert',
    `INSERT INTO webhook_outbox (app_key, lane, event, conv_id, seq, payload, idempotency_key, created_at, next_at)
     SELECT a, l, e, c, s, p, k, t, t
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])
       WITH ORDINALITY AS u(a, l, e, c, s, p, k, t, i)
     ORDER BY i`,
  ),
  claim: st(
    'claim',
    `WITH heads AS (
       SELECT DISTINCT ON (app_key, lane) id, next_at, lease_until FROM webhook_outbox
       WHERE NOT dead ORDER BY app_key, lane, id
     ), due AS (
       SELECT o.id FROM webhook_outbox o JOIN heads h ON h.id = o.id
       WHERE h.next_at <= $1 AND h.lease_until <= $1
       ORDER BY h.next_at, h.id LIMIT $4
       FOR UPDATE OF o SKIP LOCKED
     )
     UPDATE webhook_outbox w SET lease_until = $2, lease_token = $3 FROM due
     WHERE w.id = due.id AND NOT w.dead AND w.next_at <= $1 AND w.lease_until <= $1
     RETURNING w.*`,
  ),
  complete: st('complete', 'DELETE FROM webhook_outbox WHERE id = $1 AND lease_token = $2'),
  fail: st(
    'fail',
    `UPDATE webhook_outbox SET attempts = attempts + 1, next_at = $1, last_error = $2, dead = $3, lease_until = 0, lease_token = ''
     WHERE id = $4 AND lease_token = $5`,
  ),
  dead: st('dead', 'SELECT * FROM webhook_outbox WHERE app_key = $1 AND dead AND id > $2 ORDER BY id LIMIT $3'),
  replay: st(
    'replay',
    `UPDATE webhook_outbox SET dead = false, attempts = 0, next_at = $2, lease_until = 0
     WHERE app_key = $1 AND dead AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))`,
  ),
  pending: st('pending', 'SELECT count(*)::int AS n FROM webhook_outbox WHERE app_key = $1 AND NOT dead'),
};

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
    failOpen: row.fail_open as boolean,
    updatedAt: row.updated_at as number,
  };
}

export { toWebhookEntry };

/** Values of `setConfig`. */
export function configValues(c: WebhookConfig): unknown[] {
  return [c.appKey, c.url, c.events.join(','), c.timeoutMs, c.maxAttempts, c.maxAgeMs, c.preSendUrl, c.preSendTimeoutMs, c.failOpen, c.updatedAt];
}

/** Values of `insert` for `entries`. */
export function insertValues(entries: readonly WebhookEnqueue[]): unknown[] {
  return [
    entries.map((e) => e.appKey),
    entries.map((e) => e.lane),
    entries.map((e) => e.event),
    entries.map((e) => e.convId),
    entries.map((e) => e.seq),
    entries.map((e) => e.payload),
    entries.map((e) => e.idempotencyKey),
    entries.map((e) => e.createdAt),
  ];
}
