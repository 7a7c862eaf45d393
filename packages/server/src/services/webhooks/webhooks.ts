import type { Logger } from '../../log/logger.ts';
import type { Store } from '../../storage/port.ts';
import { createWebhookDelivery } from './delivery.ts';
import { createSendGate } from './send-gate.ts';
import { createWebhookSettings } from './settings.ts';
import { createStatusCallbacks } from './status.ts';

/** Options of {@link createWebhooks}. */
export interface WebhooksOptions {
  readonly store: Store;
  readonly log: Logger;
  readonly now: () => number;
  readonly nodeId: string;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly settingsTtlMs: number;
  readonly fetch?: typeof fetch;
}

/**
 * Everything webhooks need on one node: the settings cache, the send gate
 * (callback flag and pre-send hook), status callbacks and the outbox
 * delivery worker.
 *
 * @example
 * ```ts
 * const webhooks = createWebhooks({ store, log, now: Date.now, nodeId: 'n0', ...limits });
 * webhooks.start();
 * // createMessaging({ ..., gate: webhooks.gate, onWebhookQueued: webhooks.delivery.kick })
 * await webhooks.close();
 * ```
 */
export function createWebhooks(o: WebhooksOptions) {
  const settings = createWebhookSettings({ store: o.store, now: o.now, ttlMs: o.settingsTtlMs });
  const fetchOpt = o.fetch ? { fetch: o.fetch } : {};
  const delivery = createWebhookDelivery({
    store: o.store,
    settings,
    log: o.log,
    now: o.now,
    policy: { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs },
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    leaseMs: o.leaseMs,
    ...fetchOpt,
  });
  const gate = createSendGate({ store: o.store, settings, log: o.log, now: o.now, ...fetchOpt });
  const status = createStatusCallbacks({ store: o.store, settings, log: o.log, now: o.now, nodeId: o.nodeId, onQueued: delivery.kick });
  return {
    settings,
    gate,
    delivery,
    status,
    start: delivery.start,
    /** Queues the status changes reported so far, then stops the worker. */
    async close(): Promise<void> {
      await status.drain();
      await delivery.close();
    },
  };
}

/** Webhooks of one node. */
export type Webhooks = ReturnType<typeof createWebhooks>;
