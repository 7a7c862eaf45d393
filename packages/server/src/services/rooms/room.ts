import type { StoredMessage } from '../../storage/port.ts';
import { markerMessage, type MarkerReason } from '../markers.ts';

/** The reason a marker entry names. */
const reasonOf = (marker: RoomEntry): MarkerReason => (JSON.parse(new TextDecoder().decode(marker.content)) as { reason: MarkerReason }).reason;

/** Fewest dedupe records a room keeps, whatever its window. */
const DEDUPE_MIN = 10_000;

/** Message priority in a chatroom (SendRequest.priority). */
export const PRIORITY = { normal: 0, low: 1, high: 2 } as const;

/** Overload and window policy of a room (per app, overridable per room). */
export interface RoomPolicy {
  /** Messages kept in memory for catch-up (the recent window). */
  readonly windowSize: number;
  /** Messages sent to a fresh joiner. */
  readonly joinRecent: number;
  /** Sustained messages per second; 0 = unlimited. */
  readonly ratePerSecond: number;
  /** Bucket size in messages. */
  readonly burst: number;
}

/** A joined connection as the owner knows it: who, and on which node run (the node that fans out to it). */
export interface RoomMember {
  readonly connectionId: string;
  readonly userId: string;
  readonly node: string;
}

/** One entry of the room's stream: a message, or a marker standing for `seq..coversTo`. */
export type RoomEntry = StoredMessage & { readonly coversTo?: number };

/** What became of one room send. */
export type RoomAdmit =
  | { readonly kind: 'sent'; readonly message: RoomEntry; readonly marker?: RoomEntry }
  | { readonly kind: 'shed'; readonly seq: number; readonly marker?: RoomEntry }
  | { readonly kind: 'duplicate'; readonly seq: number; readonly msgId: string; readonly ts: number; readonly shed: boolean };

interface AckInfo {
  readonly seq: number;
  readonly msgId: string;
  readonly ts: number;
  readonly shed: boolean;
}

/**
 * The in-memory state of one chatroom on the node that owns it (its
 * sequencer): the seq counter, the recent window (a ring of entries), the
 * dedupe records, members (connections on any node), bans, mutes,
 * attributes and the overload bucket. Free of I/O: the service persists
 * what must survive an owner change ({@link Room.durable}) and publishes
 * entries. A room taken over from another owner starts above `seqBase`
 * with one marker standing for seqs 1..seqBase (whatever the old owner
 * handed out is unknowable here); a re-join or pull gets it trimmed to
 * what the member misses.
 *
 * Overload: a token bucket per room. Every admitted message takes a token.
 * Low priority needs a whole token; normal may overdraw by one burst; high
 * is always admitted. A shed message still takes its seq, and each run of
 * consecutive shed seqs becomes ONE marker entry (`seq..coversTo`), pushed
 * before the next admitted message or when the service flushes, so a gap is
 * always announced, never silent.
 */
export class Room {
  readonly appKey: string;
  readonly roomId: string;
  readonly convId: string;
  readonly policy: RoomPolicy;
  readonly admins: Set<string>;
  readonly members = new Map<string, RoomMember>();
  readonly banned = new Set<string>();
  readonly muted = new Map<string, number>();
  readonly attrs = new Map<string, string>();
  readonly createdAt: number;
  /** Highest seq assigned (shed ones included). */
  private seq = 0;
  /** Highest seq pushed (a pending shed run is not). */
  private emitted = 0;
  private readonly ring: Array<RoomEntry | undefined>;
  private head = 0;
  private count = 0;
  private readonly acks = new Map<string, AckInfo>();
  private shedFrom = 0;
  private shedTo = 0;
  private tokens: number;
  private tokensAt: number;

  constructor(appKey: string, roomId: string, policy: RoomPolicy, admins: readonly string[], now: number, seqBase = 0, createdAt = now) {
    this.appKey = appKey;
    this.roomId = roomId;
    this.convId = `r:${roomId}`;
    this.policy = policy;
    this.admins = new Set(admins);
    this.ring = new Array<RoomEntry | undefined>(Math.max(1, policy.windowSize));
    this.tokens = policy.burst;
    this.tokensAt = now;
    this.createdAt = createdAt;
    if (seqBase > 0) {
      this.seq = seqBase;
      this.append(markerMessage(this.convId, 1, seqBase, 'window', now));
    }
  }

  /** Highest seq assigned (shed ones included): the owner never lets it pass its reservation. */
  get assigned(): number {
    return this.seq;
  }

  /** What must outlive this owner, as stored (attributes sealed by the store). */
  durable(): { admins: string[]; banned: string[]; muted: Record<string, number>; policy: Record<string, number>; attrs: Record<string, string> } {
    return {
      admins: [...this.admins],
      banned: [...this.banned],
      muted: Object.fromEntries(this.muted),
      policy: { ...this.policy },
      attrs: Object.fromEntries(this.attrs),
    };
  }

  /** Newest pushed seq. */
  get maxSeq(): number {
    return this.emitted;
  }

  /** Joined connections per user, so the member count costs nothing per join. */
  private readonly perUser = new Map<string, number>();

  /** Distinct users with at least one joined connection. */
  userCount(): number {
    return this.perUser.size;
  }

  /** Adds a joined connection (idempotent). */
  addMember(m: RoomMember): void {
    if (this.members.has(m.connectionId)) return;
    this.members.set(m.connectionId, m);
    this.perUser.set(m.userId, (this.perUser.get(m.userId) ?? 0) + 1);
  }

  /** Removes a joined connection (idempotent). */
  removeMember(connectionId: string): void {
    const m = this.members.get(connectionId);
    if (!m) return;
    this.members.delete(connectionId);
    const n = (this.perUser.get(m.userId) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(m.userId);
    else this.perUser.set(m.userId, n);
  }

  /** Removes every connection of a user; returns how many. */
  removeUser(userId: string): number {
    let n = 0;
    for (const m of [...this.members.values()]) if (m.userId === userId && ++n) this.removeMember(m.connectionId);
    return n;
  }

  /** The ack of an earlier send with this dedupe key, if still in the window. */
  findAck(senderId: string, clientMsgId: string): AckInfo | undefined {
    return this.acks.get(`${senderId}\u0000${clientMsgId}`);
  }

  /** Records the ack of a message an earlier owner published (taken over from a member node's view). */
  seedAck(a: { senderId: string; clientMsgId: string; seq: number; msgId: string; ts: number }): void {
    this.remember(a, { seq: a.seq, msgId: a.msgId, ts: a.ts, shed: false });
  }

  /** Admits (or sheds) one message at `now`; `build` makes the entry once its seq is known. */
  admit(key: { senderId: string; clientMsgId: string }, priority: number, now: number, build: (seq: number) => RoomEntry): RoomAdmit {
    const seen = this.findAck(key.senderId, key.clientMsgId);
    if (seen) return { kind: 'duplicate', ...seen };
    const seq = ++this.seq;
    if (!this.take(priority, now)) {
      if (this.shedFrom === 0) this.shedFrom = seq;
      this.shedTo = seq;
      this.remember(key, { seq, msgId: '', ts: now, shed: true });
      return { kind: 'shed', seq };
    }
    const marker = this.flushShed(now);
    const message = build(seq);
    this.append(message);
    this.remember(key, { seq, msgId: message.msgId, ts: message.ts, shed: false });
    return marker ? { kind: 'sent', message, marker } : { kind: 'sent', message };
  }

  /** A notification entry (attributes, kicks, ...) that is never shed. */
  notify(now: number, build: (seq: number) => RoomEntry): { message: RoomEntry; marker?: RoomEntry } {
    const marker = this.flushShed(now);
    const message = build(++this.seq);
    this.append(message);
    return marker ? { message, marker } : { message };
  }

  /** Closes a pending run of shed seqs with its marker entry (undefined when none is pending). */
  flushShed(now: number): RoomEntry | undefined {
    if (this.shedFrom === 0) return undefined;
    const marker = markerMessage(this.convId, this.shedFrom, this.shedTo, 'overload', now);
    this.shedFrom = 0;
    this.append(marker);
    return marker;
  }

  /** True while shed seqs wait for their marker. */
  get shedPending(): boolean {
    return this.shedFrom !== 0;
  }

  /**
   * Entries covering seqs after `afterSeq`, oldest first, at most `limit`.
   * When the window no longer reaches back to `afterSeq + 1`, a `window`
   * marker stands for the seqs that fell out of it.
   */
  since(afterSeq: number, limit: number, now: number): RoomEntry[] {
    const out: RoomEntry[] = [];
    const oldest = this.count === 0 ? this.emitted + 1 : this.at(0)!.seq;
    if (afterSeq + 1 < oldest && afterSeq < this.emitted) out.push(markerMessage(this.convId, afterSeq + 1, Math.min(oldest - 1, this.emitted), 'window', now));
    for (let i = 0; i < this.count && out.length < limit; i++) {
      const e = this.at(i)!;
      if ((e.coversTo ?? e.seq) <= afterSeq) continue;
      // A marker the member is already inside of stands only for what it misses (else the SDK would drop it as stale and ask again).
      out.push(e.coversTo !== undefined && e.seq <= afterSeq ? markerMessage(this.convId, afterSeq + 1, e.coversTo, reasonOf(e), now) : e);
    }
    return out;
  }

  /** The last `n` entries, oldest first. */
  recent(n: number): RoomEntry[] {
    const k = Math.min(n, this.count);
    const out: RoomEntry[] = [];
    for (let i = this.count - k; i < this.count; i++) out.push(this.at(i)!);
    return out;
  }

  private at(i: number): RoomEntry | undefined {
    return this.ring[(this.head + i) % this.ring.length];
  }

  private append(e: RoomEntry): void {
    const size = this.ring.length;
    if (this.count < size) this.ring[(this.head + this.count++) % size] = e;
    else {
      this.ring[this.head] = e;
      this.head = (this.head + 1) % size;
    }
    this.emitted = Math.max(this.emitted, e.coversTo ?? e.seq);
  }

  private remember(key: { senderId: string; clientMsgId: string }, ack: AckInfo): void {
    this.acks.set(`${key.senderId}\u0000${key.clientMsgId}`, ack);
    // Dedupe records outlive the window by far: a resend after a long stall must still find its ack
    // (the chatroom fault test caught a resend arriving 80+ messages later with a 40-entry window).
    if (this.acks.size > Math.max(4 * this.ring.length, DEDUPE_MIN)) this.acks.delete(this.acks.keys().next().value as string);
  }

  private take(priority: number, now: number): boolean {
    const p = this.policy;
    if (p.ratePerSecond <= 0) return true;
    this.tokens = Math.min(p.burst, this.tokens + ((now - this.tokensAt) * p.ratePerSecond) / 1000);
    this.tokensAt = now;
    const floor = priority === PRIORITY.high ? -Infinity : priority === PRIORITY.low ? 1 : 1 - p.burst;
    if (this.tokens < floor) return false;
    this.tokens = Math.max(this.tokens - 1, -p.burst);
    return true;
  }
}
