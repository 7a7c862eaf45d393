import type { ErrorCode } from '@tidings/protocol';
import { createKeyedLimiter, type RateSpec } from './token-bucket.ts';

/** The abuse limits of one node (all configurable; 0 turns one off). */
export interface AbuseSettings {
  readonly connectsPerIp: RateSpec;
  readonly messagesPerConnection: RateSpec;
  readonly messagesPerUser: RateSpec;
  readonly messagesPerApp: RateSpec;
  readonly requestsPerConnection: RateSpec;
  readonly apiCallsPerApp: RateSpec;
  /** Open connections one user may hold on this node; 0: no cap. */
  readonly maxConnectionsPerUser: number;
}

/**
 * Rate limits per connection, user, IP and app, and the per-user connection
 * cap. Each refusal names its own error code (and so its own metric label).
 */
export function createAbuseLimits(s: AbuseSettings, now?: () => number) {
  const ips = createKeyedLimiter(s.connectsPerIp, 100_000, now);
  const connMessages = createKeyedLimiter(s.messagesPerConnection, 1_000_000, now);
  const userMessages = createKeyedLimiter(s.messagesPerUser, 1_000_000, now);
  const appMessages = createKeyedLimiter(s.messagesPerApp, 100_000, now);
  const connRequests = createKeyedLimiter(s.requestsPerConnection, 1_000_000, now);
  const api = createKeyedLimiter(s.apiCallsPerApp, 100_000, now);
  const perUser = new Map<string, number>();
  const userKey = (appKey: string, userId: string): string => `${appKey}\u0000${userId}`;

  return {
    /** A WebSocket upgrade from `ip`. */
    connect(ip: string): ErrorCode | undefined {
      return ips.take(ip) ? undefined : 'rate.connects';
    },
    /** Counts a new connection of a user; refuses one over the cap (then nothing is counted). */
    opened(appKey: string, userId: string): ErrorCode | undefined {
      const k = userKey(appKey, userId);
      const n = perUser.get(k) ?? 0;
      if (s.maxConnectionsPerUser > 0 && n >= s.maxConnectionsPerUser) return 'limit.connections_per_user';
      perUser.set(k, n + 1);
      return undefined;
    },
    /** A counted connection closed. */
    closed(appKey: string, userId: string): void {
      const k = userKey(appKey, userId);
      const n = (perUser.get(k) ?? 1) - 1;
      if (n <= 0) perUser.delete(k);
      else perUser.set(k, n);
    },
    /** One message sent on a connection. */
    message(connectionId: string, appKey: string, userId: string): ErrorCode | undefined {
      const ok = connMessages.take(connectionId) && userMessages.take(userKey(appKey, userId)) && appMessages.take(appKey);
      return ok ? undefined : 'rate.limited';
    },
    /** Any other request (sync, pull, conversation operations). */
    request(connectionId: string): ErrorCode | undefined {
      return connRequests.take(connectionId) ? undefined : 'rate.limited';
    },
    /** One signed server API call of an app. */
    apiCall(appKey: string): ErrorCode | undefined {
      return api.take(appKey) ? undefined : 'api.rate_limited';
    },
  };
}

/** The abuse limits of a node. */
export type AbuseLimits = ReturnType<typeof createAbuseLimits>;
