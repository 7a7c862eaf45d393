import type { StoredMessage } from '../../storage/port.ts';
import { markerMessage } from '../markers.ts';
import type { Peer } from '../session.ts';

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
 * The in-memory state of one chatroom on the node that owns it: the seq
 * counter, the recent window (a ring of entries), the dedupe records of that
 * window, members (connections), bans, mutes, attributes and the overload
 * bucket. Nothing is stored durably. Kept free of I/O (the service writes
 * frames), so the state can move behind another owner later.
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
  readonly members = new Map<string, Peer>();
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

  constructor(appKey: string, roomId: string, policy: RoomPolicy, admins: readonly string[], now: number) {
    this.appKey = appKey;
    this.roomId = roomId;
    this.convId = `r:${roomId}`;
    this.policy = policy;
    this.admins = new Set(admins);
    this.ring = new Array<RoomEntry | undefined>(Math.max(1, policy.windowSize));
    this.tokens = policy.burst;
    this.tokensAt = now;
    this.createdAt = now;
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
  addMember(p: Peer): void {
    if (this.members.has(p.session.connectionId)) return;
    this.members.set(p.session.connectionId, p);
    this.perUser.set(p.session.userId, (this.perUser.get(p.session.userId) ?? 0) + 1);
  }

  /** Removes a joined connection (idempotent). */
  removeMember(p: Peer): void {
    if (!this.members.delete(p.session.connectionId)) return;
    const n = (this.perUser.get(p.session.userId) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(p.session.userId);
    else this.perUser.set(p.session.userId, n);
  }

  /** The ack of an earlier send with this dedupe key, if still in the window. */
  findAck(senderId: string, clientMsgId: string): AckInfo | undefined {
    return this.acks.get(`${senderId}\u0000${clientMsgId}`);
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
      if ((e.coversTo ?? e.seq) > afterSeq) out.push(e);
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
