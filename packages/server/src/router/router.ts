import type { Bus, BusMessage } from '../bus/port.ts';
import { userTopic } from '../bus/topics.ts';
import type { Peer } from '../services/session.ts';

/** A connection as the router sees it. */
export interface RoutedPeer extends Peer {
  /** Writes an already encoded frame shared by many recipients. */
  write(bytes: Uint8Array): void;
}

/** Told when a user's first connection on this node arrives (true) and their last one leaves (false). */
export type PresenceListener = (appKey: string, userId: string, online: boolean) => void;

/**
 * Local routing: which connections of this node belong to which user. A node
 * subscribes to a user's topic only while it holds one of the user's
 * connections, so pushes cross the bus only to nodes that need them; the
 * frame arrives encoded once and is written as is to each local device.
 */
export function createRouter(bus: Bus, onPresence?: PresenceListener) {
  const byTopic = new Map<string, { peers: Set<RoutedPeer>; unsubscribe: () => void }>();
  const byDevice = new Map<string, RoutedPeer>();
  const deviceKey = (p: Peer): string => `${p.session.appKey}\u0000${p.session.userId}\u0000${p.session.deviceId}`;

  function deliver(entry: { peers: Set<RoutedPeer> }, m: BusMessage): void {
    for (const p of entry.peers) if (p.session.connectionId !== m.skipConnection) p.write(m.payload);
  }

  function detach(peer: RoutedPeer, notify: boolean): void {
    const key = deviceKey(peer);
    if (byDevice.get(key) === peer) byDevice.delete(key);
    const topic = userTopic(peer.session.appKey, peer.session.userId);
    const entry = byTopic.get(topic);
    if (!entry || !entry.peers.delete(peer)) return;
    if (entry.peers.size === 0) {
      entry.unsubscribe();
      byTopic.delete(topic);
      if (notify) onPresence?.(peer.session.appKey, peer.session.userId, false);
    }
  }

  return {
    /**
     * Registers a connection. Returns the connection of the same device it
     * replaces, if any (the caller closes that one).
     */
    attach(peer: RoutedPeer): RoutedPeer | undefined {
      const key = deviceKey(peer);
      const previous = byDevice.get(key);
      // A device replacing its own connection is no presence change.
      if (previous) detach(previous, false);
      byDevice.set(key, peer);
      const topic = userTopic(peer.session.appKey, peer.session.userId);
      let entry = byTopic.get(topic);
      if (!entry) {
        const peers = new Set<RoutedPeer>();
        const e = { peers, unsubscribe: () => {} };
        e.unsubscribe = bus.subscribe(topic, (m) => deliver(e, m));
        byTopic.set(topic, (entry = e));
        if (!previous) onPresence?.(peer.session.appKey, peer.session.userId, true);
      }
      entry.peers.add(peer);
      return previous;
    },
    /** Unregisters a connection; idempotent. */
    detach(peer: RoutedPeer): void {
      detach(peer, true);
    },
    /** Connections held on this node. */
    get size(): number {
      return byDevice.size;
    },
    /** True when the user has a connection on this node. */
    isLocal(appKey: string, userId: string): boolean {
      return byTopic.has(userTopic(appKey, userId));
    },
  };
}

/** The local router. */
export type Router = ReturnType<typeof createRouter>;
