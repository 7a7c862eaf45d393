import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log/logger.ts';
import type { Store, StoredMessage, WebhookEntry } from '../../storage/port.ts';
import { afterFailure, type RetryPolicy } from './backoff.ts';
import type { WebhookSettings } from './settings.ts';
import { isHttpUrl, postSigned, webhookHeaders } from './sign.ts';

/** Options of {@link createWebhookDelivery}. */
export interface WebhookDeliveryOptions {
  readonly store: Store;
  readonly settings: WebhookSettings;
  readonly log: Logger;
  readonly now: () => number;
  readonly policy: RetryPolicy;
  /** Deliveries in flight at once, over all lanes. */
  readonly concurrency: number;
  /** How often the outbox is polled for due retries and other nodes' entries. */
  readonly pollMs: number;
  /** How long a claim holds an entry; a node that dies mid-delivery releases it this late. */
  readonly leaseMs: number;
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
}

/** The JSON body of a message callback. */
export function messageBody(appKey: string, idempotencyKey: string, m: StoredMessage): string {
  return JSON.stringify({
    event: 'message',
    appKey,
    idempotencyKey,
    message: {
      convId: m.convId,
      seq: m.seq,
      msgId: m.msgId,
      senderId: m.senderId,
      senderDevice: m.senderDevice,
      clientMsgId: m.clientMsgId,
      type: m.type,
      content: Buffer.from(m.content).toString('base64'),
      ts: m.ts,
      flags: m.flags,
    },
  });
}

/**
 * The outbox worker of one node. It leases due lane heads from storage (one
 * entry per lane at a time, so a conversation's callbacks go out in seq
 * order, one after the other), POSTs each signed with the app secret and
 * carrying its idempotency key, deletes it on a 2xx, else schedules a retry
 * with backoff or dead-letters it. Lanes run in parallel up to
 * `concurrency`. At-least-once: a crash after the receiver's 2xx but before
 * the delete repeats the callback, with the same key.
 */
export function createWebhookDelivery(o: WebhookDeliveryOptions) {
  const fetchFn = o.fetch ?? fetch;
  const random = o.random ?? Math.random;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let claiming = false;
  let again = false;
  let closed = false;

  async function body(e: WebhookEntry): Promise<string | { error: string }> {
    if (e.event === 'status') return e.payload;
    const [m] = await o.store.readRange(e.appKey, e.convId, e.seq, e.seq, 1);
    if (!m) return { error: `message ${e.convId}#${e.seq} not found` };
    return messageBody(e.appKey, e.idempotencyKey, m);
  }

  async function deliver(e: WebhookEntry, token: string): Promise<void> {
    const config = await o.settings.get(e.appKey);
    const app = await o.store.getApp(e.appKey);
    const fail = async (error: string, giveUp = false): Promise<void> => {
      const next = afterFailure(e, config ?? undefined, o.now(), o.policy, random);
      await o.store.failWebhook(e.id, token, { nextAt: next.nextAt, error, dead: giveUp || next.dead });
      if (giveUp || next.dead) o.log.warn({ appKey: e.appKey, lane: e.lane, id: e.id, error }, 'webhook dead-lettered');
    };
    if (!app || app.disabled) return fail('app unknown or disabled', true);
    if (!config || !config.url || !isHttpUrl(config.url) || !config.events.includes(e.event)) return fail(`no webhook for ${e.event} events`, true);
    const b = await body(e);
    if (typeof b !== 'string') return fail(b.error, true);
    const headers = {
      ...webhookHeaders(e.appKey, app.appSecret, b, o.now()),
      'x-tidings-idempotency-key': e.idempotencyKey,
      'x-tidings-event': e.event,
      'x-tidings-attempt': String(e.attempts + 1),
    };
    const timeoutMs = Math.max(1, Math.min(config.timeoutMs, o.leaseMs - 1000));
    const r = await postSigned(fetchFn, config.url, headers, b, timeoutMs, stopping.signal);
    if (r.status >= 200 && r.status < 300) {
      await o.store.completeWebhook(e.id, token);
      return;
    }
    // Shutting down: leave the lease to expire rather than count an attempt.
    if (stopping.signal.aborted) return;
    await fail(r.error ?? `HTTP ${r.status}`);
  }

  async function pump(): Promise<void> {
    if (closed) return;
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    try {
      do {
        again = false;
        const free = o.concurrency - inFlight.size;
        if (free <= 0) break;
        const token = randomUUID();
        const now = o.now();
        const entries = await o.store.claimWebhooks(token, now, now + o.leaseMs, free);
        for (const e of entries) {
          const p: Promise<void> = deliver(e, token)
            .catch((err: unknown) => o.log.error({ err, id: e.id }, 'webhook delivery failed'))
            .finally(() => {
              inFlight.delete(p);
              // The lane's next entry is claimable now.
              kick();
            });
          inFlight.add(p);
        }
        if (entries.length === free) again = true;
      } while (again && !closed);
    } catch (err) {
      if (!closed) o.log.error({ err }, 'webhook claim failed');
    } finally {
      claiming = false;
    }
  }

  function kick(): void {
    if (!closed) setImmediate(() => void pump());
  }

  return {
    start(): void {
      timer = setInterval(() => void pump(), o.pollMs);
      timer.unref();
      kick();
    },
    /** Looks for work now (after a commit that queued callbacks). */
    kick,
    /** Stops claiming, aborts deliveries in flight (their leases expire, so they are retried) and waits for them. */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      stopping.abort();
      while (claiming) await new Promise((r) => setTimeout(r, 5));
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** The delivery worker. */
export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
