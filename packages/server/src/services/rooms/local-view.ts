import type { Bus } from '../../bus/port.ts';
import type { Peer } from '../session.ts';
import { decodeEntry, ENTRY_KIND, roomTopic, type EntryAck } from './room-wire.ts';

/** Message acks a node keeps per room it has members in (as many as an owner keeps dedupe records at least). */
const ACKS_KEPT = 10_000;

/** One room as this node sees it: its member connections here and the newest owner epoch it has heard of. */
interface View {
  readonly key: string;
  readonly members: Map<string, Peer>;
  /** Members whose join answer is not written yet: their pushes wait, so the answer comes first. */
  readonly pending: Map<string, Uint8Array[]>;
  epoch: number;
  off: () => void;
  /** The newest message entries fanned out here, by sender and clientMsgId: a new owner taking the room from here answers their resends. */
  readonly acks: Map<string, EntryAck>;
}

/** Options of {@link createLocalViews}. */
export interface LocalViewsOptions {
  readonly bus: Bus;
  /** A newer owner took the room over: this node's members should be registered with it. */
  readonly onNewOwner: (appKey: string, roomId: string, members: readonly Peer[]) => void;
}

/**
 * The member side of chatrooms on one node: the connections here that joined
 * each room, and the room-topic subscription this node holds while it has
 * any (so an entry crosses the bus once per node with members, never to the
 * others). Each published entry is written, as the same bytes, to every
 * member connection here; entries of an owner older than the newest one
 * heard of are dropped, which fences a paused or partitioned old owner.
 */
export function createLocalViews(o: LocalViewsOptions) {
  const views = new Map<string, View>();
  const byPeer = new Map<Peer, Set<View>>();
  const keyOf = (appKey: string, roomId: string): string => `${appKey}\u0000${roomId}`;

  function drop(view: View, peer: Peer): void {
    view.members.delete(peer.session.connectionId);
    view.pending.delete(peer.session.connectionId);
    byPeer.get(peer)?.delete(view);
    if (view.members.size === 0 && views.get(view.key) === view) {
      views.delete(view.key);
      view.off();
    }
  }

  function deliver(view: View, appKey: string, roomId: string, payload: Uint8Array, skip: string | undefined): void {
    const e = decodeEntry(payload);
    if (!e || e.epoch < view.epoch) return;
    if (e.epoch > view.epoch) {
      const known = view.epoch;
      view.epoch = e.epoch;
      if (known > 0) o.onNewOwner(appKey, roomId, [...view.members.values()]);
    }
    // The sender's own connection has the ack instead (markers carry no skip). With no join answer
    // outstanding (the usual case) the loop only writes: one Map lookup less per member.
    const frame = e.frame;
    if (view.pending.size === 0) {
      // Values, not entries: iterating entries allocates a pair per member (measured ~1.5x the loop's cost).
      for (const p of view.members.values()) if (p.session.connectionId !== skip) p.write(frame);
    } else {
      for (const [id, p] of view.members) {
        if (id === skip) continue;
        const q = view.pending.get(id);
        if (q) q.push(frame);
        else p.write(frame);
      }
    }
    if (e.clientMsgId !== '') {
      view.acks.set(`${e.user}\u0000${e.clientMsgId}`, { senderId: e.user, clientMsgId: e.clientMsgId, seq: e.seq, msgId: e.msgId, ts: e.ts });
      if (view.acks.size > ACKS_KEPT) view.acks.delete(view.acks.keys().next().value as string);
    }
    if (e.kind === ENTRY_KIND.kicked) for (const p of [...view.members.values()]) if (p.session.userId === e.user) drop(view, p);
    if (e.kind === ENTRY_KIND.destroyed) for (const p of [...view.members.values()]) drop(view, p);
  }

  return {
    /**
     * Adds a connection before its join is asked of the owner: the node is
     * subscribed from then on, and entries wait until {@link joined}.
     */
    attach(appKey: string, roomId: string, peer: Peer): void {
      const key = keyOf(appKey, roomId);
      let view = views.get(key);
      if (!view) {
        const v: View = { key, members: new Map(), pending: new Map(), epoch: 0, off: () => undefined, acks: new Map() };
        v.off = o.bus.subscribe(roomTopic(appKey, roomId), (m) => deliver(v, appKey, roomId, m.payload, m.skipConnection));
        views.set(key, (view = v));
      }
      const id = peer.session.connectionId;
      if (!view.members.has(id)) view.pending.set(id, []);
      view.members.set(id, peer);
      let set = byPeer.get(peer);
      if (!set) byPeer.set(peer, (set = new Set()));
      set.add(view);
    },
    /** The join answer was written (`epoch` of the owner that gave it): what waited goes out after it. */
    joined(appKey: string, roomId: string, peer: Peer, epoch: number): void {
      const view = views.get(keyOf(appKey, roomId));
      if (!view) return;
      view.epoch = Math.max(view.epoch, epoch);
      const q = view.pending.get(peer.session.connectionId);
      view.pending.delete(peer.session.connectionId);
      for (const f of q ?? []) peer.write(f);
    },
    /** The connection left the room (or its join failed). */
    detach(appKey: string, roomId: string, peer: Peer): void {
      const view = views.get(keyOf(appKey, roomId));
      if (view?.members.get(peer.session.connectionId) === peer) drop(view, peer);
    },
    /** True when the connection is a member here. */
    has(appKey: string, roomId: string, peer: Peer): boolean {
      return views.get(keyOf(appKey, roomId))?.members.get(peer.session.connectionId) === peer;
    },
    /** The connection closed: the rooms it was in, which it has left. */
    closed(peer: Peer): Array<{ appKey: string; roomId: string }> {
      const left = [...(byPeer.get(peer) ?? [])].map((v) => {
        const [appKey, roomId] = v.key.split('\u0000') as [string, string];
        drop(v, peer);
        return { appKey, roomId };
      });
      byPeer.delete(peer);
      return left;
    },
    /** Acks of the message entries fanned out here, oldest first (empty when this node has no members in the room). */
    acksOf(appKey: string, roomId: string): Iterable<EntryAck> {
      return views.get(keyOf(appKey, roomId))?.acks.values() ?? [];
    },
    /** Rooms with members on this node (metrics, tests). */
    get size(): number {
      return views.size;
    },
  };
}

/** The member side of chatrooms on one node. */
export type LocalViews = ReturnType<typeof createLocalViews>;
