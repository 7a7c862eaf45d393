import type { Store, WebhookConfig } from '../../storage/port.ts';

/**
 * Per-node cache of the apps' webhook settings, so the send path decides
 * without a storage read: an app without webhooks costs one map lookup. A
 * value older than `ttlMs` is still served while it is refreshed in the
 * background (changes made on another node apply within about `ttlMs`;
 * this node's own changes apply at once through {@link set}).
 */
export function createWebhookSettings(o: { readonly store: Store; readonly now: () => number; readonly ttlMs: number }) {
  const cache = new Map<string, { value: WebhookConfig | null; at: number; loading?: Promise<WebhookConfig | null> }>();

  const load = (appKey: string): Promise<WebhookConfig | null> => {
    const entry = cache.get(appKey);
    if (entry?.loading) return entry.loading;
    const loading = o.store.getWebhookConfig(appKey).then(
      (c) => {
        cache.set(appKey, { value: c ?? null, at: o.now() });
        return c ?? null;
      },
      (err: unknown) => {
        const e = cache.get(appKey);
        if (e) delete e.loading;
        else cache.delete(appKey);
        throw err;
      },
    );
    if (entry) entry.loading = loading;
    else cache.set(appKey, { value: null, at: -Infinity, loading });
    return loading;
  };

  return {
    /** The cached settings (null: none), or undefined when not loaded yet. Starts a refresh when stale. */
    peek(appKey: string): WebhookConfig | null | undefined {
      const entry = cache.get(appKey);
      if (entry === undefined || entry.at === -Infinity) {
        if (entry === undefined) load(appKey).catch(() => {});
        return undefined;
      }
      if (o.now() - entry.at > o.ttlMs && !entry.loading) load(appKey).catch(() => {});
      return entry.value;
    },
    /** The settings, loaded when not cached or stale. */
    async get(appKey: string): Promise<WebhookConfig | null> {
      const entry = cache.get(appKey);
      if (entry !== undefined && entry.at !== -Infinity && o.now() - entry.at <= o.ttlMs) return entry.value;
      return load(appKey);
    },
    /** Records settings this node just stored. */
    set(config: WebhookConfig): void {
      cache.set(config.appKey, { value: config, at: o.now() });
    },
  };
}

/** The settings cache. */
export type WebhookSettings = ReturnType<typeof createWebhookSettings>;

/** True when the app wants a callback for every stored message. */
export function wantsMessages(c: WebhookConfig | null | undefined): boolean {
  return !!c && c.url !== '' && c.events.includes('message');
}
