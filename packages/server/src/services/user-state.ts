import type { Bus } from '../bus/port.ts';
import { USER_CONTROL_TOPIC } from '../bus/topics.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../storage/port.ts';

/** Why a user's connections are closed. */
export type UserCloseCode = 'auth.user_deleted' | 'auth.user_blocked' | 'auth.token_revoked';

/** One change told to every node. */
interface UserControl {
  readonly appKey: string;
  readonly userId: string;
  /** Close the user's connections with this code. */
  readonly close?: UserCloseCode;
  /** The user is now deleted (true) or re-created (false). */
  readonly deleted?: boolean;
}

/** Options of {@link createUserState}. */
export interface UserStateOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly log: Logger;
  /** Closes the user's connections held by this node. */
  readonly closeLocal: (appKey: string, userId: string, code: UserCloseCode) => void;
  /** Reload of the deleted users from storage (heals a control message the bus lost), ms. */
  readonly refreshMs: number;
}

const key = (appKey: string, userId: string): string => `${appKey}\u0000${userId}`;

/**
 * What every node must know at once about users the server API changed: who
 * is deleted (the send path refuses them without a storage read per send)
 * and whose connections to close. A change applies on the answering node at
 * once and reaches the others over the bus (one topic every node
 * subscribes to); the bus may lose it, so the deleted set is also reloaded
 * from storage every `refreshMs`. Tombstones are kept in memory: deletions
 * are rare next to users.
 */
export function createUserState(o: UserStateOptions) {
  let deleted = new Set<string>();
  /** Local changes made while a reload was in flight: re-applied over its (older) answer. */
  let during: UserControl[] | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let unsubscribe = (): void => {};

  function apply(c: UserControl): void {
    if (c.deleted === true) deleted.add(key(c.appKey, c.userId));
    if (c.deleted === false) deleted.delete(key(c.appKey, c.userId));
    during?.push(c);
    if (c.close) o.closeLocal(c.appKey, c.userId, c.close);
  }

  async function reload(): Promise<void> {
    // A slow store must not stack reloads: the next tick tries again.
    if (during) return;
    during = [];
    try {
      const next = new Set((await o.store.listDeletedUsers()).map((u) => key(u.appKey, u.userId)));
      for (const c of during) {
        if (c.deleted === true) next.add(key(c.appKey, c.userId));
        if (c.deleted === false) next.delete(key(c.appKey, c.userId));
      }
      deleted = next;
    } finally {
      during = undefined;
    }
  }

  return {
    /** Loads the deleted users, then listens to the other nodes and reloads periodically. */
    async start(): Promise<void> {
      await reload();
      unsubscribe = o.bus.subscribe(USER_CONTROL_TOPIC, (m) => {
        try {
          apply(JSON.parse(new TextDecoder().decode(m.payload)) as UserControl);
        } catch (err) {
          o.log.warn({ err }, 'bad user control message');
        }
      });
      timer = setInterval(() => {
        reload().catch((err: unknown) => o.log.warn({ err }, 'reloading deleted users failed'));
      }, o.refreshMs);
      timer.unref();
    },
    /** True when the user is deleted, as this node knows it now. */
    isDeleted: (appKey: string, userId: string): boolean => deleted.has(key(appKey, userId)),
    /** Applies a change here at once and tells every other node. */
    changed(c: UserControl): void {
      apply(c);
      o.bus.publish({ topic: USER_CONTROL_TOPIC, payload: new TextEncoder().encode(JSON.stringify(c)) });
    },
    close(): void {
      if (timer) clearInterval(timer);
      unsubscribe();
    },
  };
}

/** The node's user state. */
export type UserState = ReturnType<typeof createUserState>;
