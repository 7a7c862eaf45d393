import type { Logger } from '../../log/logger.ts';
import type { RoomLease, RoomRow, RoomStore } from '../../storage/room-port.ts';

/** A room this node owns: the state (built by the caller) and the lease it holds. */
export interface Owned<R> {
  readonly room: R;
  readonly epoch: number;
  /** Highest seq this owner may hand out (its stored reservation). */
  hw: number;
  /** This node's own clock past which it stops acting as the owner unless a renewal came back. */
  validUntil: number;
}

/** Where a room's sequencer is. */
export type Placement<R> = { readonly kind: 'self'; readonly owned: Owned<R> } | { readonly kind: 'remote'; readonly node: string } | { readonly kind: 'none' };

/** Options of {@link createPlacement}. */
export interface PlacementOptions<R> {
  readonly store: RoomStore;
  /** This node run's id (the owner name in leases, the request topic). */
  readonly self: string;
  /** Lease length; renewed every third of it. */
  readonly ttlMs: number;
  /** Seqs reserved ahead of the newest assigned one. */
  readonly block: number;
  readonly now: () => number;
  readonly log: Logger;
  /** Builds the owner state of a room this node just took (created or claimed). */
  readonly build: (row: RoomRow, lease: RoomLease) => R;
  /** The newest seq assigned in an owned room (for the reservation). */
  readonly assigned: (room: R) => number;
  /** A takeover gave this node the room (publish what members must learn). */
  readonly onAcquired: (owned: Owned<R>) => void;
  /** This node lost the room (fenced by a newer owner, or destroyed). */
  readonly onLost: (appKey: string, roomId: string, owned: Owned<R>) => void;
}

/**
 * Room placement: each room has one owner node, its sequencer, named by a
 * lease row in storage. The first node to create (or, once the lease has
 * lapsed, to need) a room takes it; the owner renews all its leases in one
 * statement every ttl/3 and reserves seqs ahead of use with the renewal. A
 * takeover raises the epoch, which fences the old owner in storage (no
 * renewal, no state write) and on the bus (members drop older epochs); the
 * old owner also stops on its own once its lease ran out by its own clock,
 * so a paused owner that wakes up hands out nothing before it learns.
 */
export function createPlacement<R>(o: PlacementOptions<R>) {
  const owned = new Map<string, Owned<R>>();
  const remote = new Map<string, string>();
  const looking = new Map<string, Promise<Placement<R>>>();
  const key = (appKey: string, roomId: string): string => `${appKey}\u0000${roomId}`;
  // Renewal reads the clock before asking, so the local lease always ends no later than the stored one.
  const margin = Math.min(500, o.ttlMs / 4);
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;

  function take(row: RoomRow, lease: RoomLease, startedAt: number): Owned<R> {
    const k = key(row.appKey, row.roomId);
    const x: Owned<R> = { room: o.build(row, lease), epoch: lease.epoch, hw: lease.seqHw, validUntil: startedAt + o.ttlMs - margin };
    owned.set(k, x);
    remote.delete(k);
    return x;
  }

  async function renew(): Promise<void> {
    if (owned.size === 0) return;
    const list = [...owned.entries()].map(([k, x]) => {
      const [appKey, roomId] = k.split('\u0000') as [string, string];
      return { appKey, roomId, epoch: x.epoch, seqHw: o.assigned(x.room) + o.block, x };
    });
    const t = o.now();
    let held: Array<{ appKey: string; roomId: string }>;
    try {
      held = await o.store.renewRooms(o.self, o.ttlMs, list);
    } catch (err) {
      // The local lease runs out on its own; the next renewal may still save it.
      return o.log.warn({ err: String(err) }, 'room lease renewal failed');
    }
    const kept = new Set(held.map((h) => key(h.appKey, h.roomId)));
    for (const r of list) {
      const k = key(r.appKey, r.roomId);
      if (owned.get(k) !== r.x) continue;
      if (kept.has(k)) {
        r.x.hw = Math.max(r.x.hw, r.seqHw);
        r.x.validUntil = t + o.ttlMs - margin;
      } else {
        owned.delete(k);
        o.log.info({ appKey: r.appKey, roomId: r.roomId, epoch: r.epoch }, 'room taken over by another node');
        o.onLost(r.appKey, r.roomId, r.x);
      }
    }
  }

  async function lookUp(appKey: string, roomId: string): Promise<Placement<R>> {
    const k = key(appKey, roomId);
    const row = await o.store.getRoom(appKey, roomId);
    if (!row) return { kind: 'none' };
    if (row.leaseLive && row.owner !== o.self) {
      remote.set(k, row.owner);
      return { kind: 'remote', node: row.owner };
    }
    const t = o.now();
    const lease = await o.store.claimRoom(appKey, roomId, o.self, o.ttlMs, o.block);
    if (!lease) {
      // Another node claimed it first.
      const again = await o.store.getRoom(appKey, roomId);
      if (!again) return { kind: 'none' };
      remote.set(k, again.owner);
      return { kind: 'remote', node: again.owner };
    }
    if (owned.has(k)) return { kind: 'self', owned: owned.get(k)! };
    o.log.info({ appKey, roomId, epoch: lease.epoch, seqBase: lease.seqBase }, 'took over room');
    const x = take(row, lease, t);
    o.onAcquired(x);
    return { kind: 'self', owned: x };
  }

  return {
    /** Creates a room owned here; undefined when it exists. */
    async create(row: RoomRow): Promise<Owned<R> | undefined> {
      const t = o.now();
      const lease = await o.store.createRoom(row, o.self, o.ttlMs, o.block);
      return lease ? take(row, lease, t) : undefined;
    },

    /** Finds the room's owner: here, another node, or no such room. Claims a room whose lease lapsed. */
    resolve(appKey: string, roomId: string): Promise<Placement<R>> {
      const k = key(appKey, roomId);
      const mine = owned.get(k);
      if (mine) return Promise.resolve({ kind: 'self', owned: mine });
      const cached = remote.get(k);
      if (cached) return Promise.resolve({ kind: 'remote', node: cached });
      // One look-up (and claim) per room at a time: two claims by this node would be two epochs.
      let p = looking.get(k);
      if (!p) {
        p = lookUp(appKey, roomId).finally(() => looking.delete(k));
        looking.set(k, p);
      }
      return p;
    },

    /** The remote owner did not answer as one: ask storage again next time. */
    forget(appKey: string, roomId: string): void {
      remote.delete(key(appKey, roomId));
    },

    /** The room was destroyed here. */
    release(appKey: string, roomId: string): void {
      owned.delete(key(appKey, roomId));
    },

    /** True while this node may act as the owner: its lease has not run out by its own clock and seqs remain reserved. */
    usable(x: Owned<R>, nextSeq: number): boolean {
      return o.now() < x.validUntil && nextSeq <= x.hw;
    },

    /** The owned room, if this node holds it. */
    ownedRoom(appKey: string, roomId: string): Owned<R> | undefined {
      return owned.get(key(appKey, roomId));
    },

    /** Renews now (a lease that ran out by this node's clock may still be held in storage). */
    async renewNow(): Promise<void> {
      renewing ??= renew().finally(() => (renewing = undefined));
      await renewing;
    },

    start(): void {
      timer = setInterval(() => {
        renewing ??= renew().finally(() => (renewing = undefined));
      }, Math.max(50, Math.floor(o.ttlMs / 3)));
      timer.unref();
    },

    /** Stops renewing and ends this node's leases, so other nodes take its rooms at once. */
    async close(): Promise<void> {
      clearInterval(timer);
      await renewing;
      owned.clear();
      await o.store.releaseRooms(o.self).catch((err: unknown) => o.log.warn({ err: String(err) }, 'releasing room leases failed'));
    },

    /** The rooms this node owns now. */
    ownedRooms(): IterableIterator<Owned<R>> {
      return owned.values();
    },

    get ownedCount(): number {
      return owned.size;
    },
  };
}

/** Room placement of one node. */
export type RoomPlacement<R> = ReturnType<typeof createPlacement<R>>;
