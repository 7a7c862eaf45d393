import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log/logger.ts';
import type { Store } from '../../storage/port.ts';
import type { WebhookSettings } from './settings.ts';

/** Outbox lane of a user's status callbacks. */
export const statusLane = (userId: string): string => `@status:${userId}`;

/**
 * Status callbacks: the router reports a user's first connection on this
 * node (online) and last one gone (offline); when the app wants `status`
 * events, each change becomes an outbox entry in the user's lane, so the
 * callbacks go out in order and survive a restart. Changes of one user are
 * queued in order here too, before they reach storage.
 */
export function createStatusCallbacks(o: {
  readonly store: Store;
  readonly settings: WebhookSettings;
  readonly log: Logger;
  readonly now: () => number;
  readonly nodeId: string;
  /** Called after an entry was queued. */
  readonly onQueued: () => void;
}) {
  const tails = new Map<string, Promise<void>>();
  const enqueue = async (appKey: string, userId: string, online: boolean, ts: number): Promise<void> => {
    const config = await o.settings.get(appKey);
    if (!config || !config.url || !config.events.includes('status')) return;
    const idempotencyKey = randomUUID();
    const payload = JSON.stringify({ event: 'status', appKey, idempotencyKey, userId, status: online ? 'online' : 'offline', nodeId: o.nodeId, ts });
    await o.store.enqueueWebhooks([{ appKey, lane: statusLane(userId), event: 'status', convId: '', seq: 0, payload, idempotencyKey, createdAt: ts }]);
    o.onQueued();
  };
  return {
    /** The router's presence listener. */
    changed(appKey: string, userId: string, online: boolean): void {
      const key = `${appKey}\u0000${userId}`;
      const ts = o.now();
      const tail = (tails.get(key) ?? Promise.resolve())
        .then(() => enqueue(appKey, userId, online, ts))
        .catch((err: unknown) => o.log.warn({ err, appKey }, 'status callback not queued'));
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
    },
    /** Resolves when every change so far is queued. */
    async drain(): Promise<void> {
      await Promise.allSettled([...tails.values()]);
    },
  };
}
