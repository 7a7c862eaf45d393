import type { FastifyRequest } from 'fastify';
import type { AbuseLimits } from '../limits/abuse.ts';
import type { AppRecord, Store } from '../storage/port.ts';
import type { Router } from '../router/router.ts';
import type { SendPath } from '../services/send-path.ts';
import type { Groups } from '../services/groups.ts';
import type { Rooms } from '../services/rooms/rooms.ts';
import type { Webhooks } from '../services/webhooks/webhooks.ts';
import type { Logger } from '../log/logger.ts';
import type { UserState } from '../services/user-state.ts';

/** What the API routes need from the node. */
export interface ApiDeps {
  readonly store: Store;
  readonly sends: SendPath;
  /** Group operations (routes/groups.ts). */
  readonly groups?: Groups;
  /** Chatroom operations (routes/chatrooms.ts). */
  readonly rooms?: Rooms;
  /** Webhook settings cache and delivery worker (routes/webhooks.ts). */
  readonly webhooks?: Webhooks;
  readonly router: Router;
  /** Per-app API call rate limit. */
  readonly limits?: AbuseLimits;
  /** True when a device of the user is connected to any live node (cluster-wide in cluster mode). */
  readonly isOnline?: (appKey: string, userId: string) => Promise<boolean>;
  readonly log: Logger;
  readonly now: () => number;
  /** The operator credential (Bearer token of /v1/admin routes). */
  readonly operatorToken: string;
  readonly maxContentBytes: number;
  /** The node's long-term public key (base64url) that clients pin. */
  readonly serverKey: string;
  /** Deleted users, and closing a user's connections on every node (after a deletion, block or revocation). */
  readonly users: UserState;
}

const rawBodies = new WeakMap<FastifyRequest, Buffer>();
const apps = new WeakMap<FastifyRequest, AppRecord>();

/** Remembers the exact bytes of a request body (they are signed). */
export function setRawBody(req: FastifyRequest, body: Buffer): void {
  rawBodies.set(req, body);
}

/** The exact bytes of the request body; empty when there was none. */
export function rawBody(req: FastifyRequest): Buffer {
  return rawBodies.get(req) ?? Buffer.alloc(0);
}

/** Records the app a verified signature speaks for. */
export function setCaller(req: FastifyRequest, app: AppRecord): void {
  apps.set(req, app);
}

/** The app a signed request speaks for; only called in signed scopes, after verification. */
export function caller(req: FastifyRequest): AppRecord {
  const app = apps.get(req);
  if (!app) throw new Error('caller() outside a signed route');
  return app;
}
