import type { ClientStore, OutboxEntry } from './store.ts';

/** What to do after the server rejected a send. */
export type OutboxErrorOutcome =
  /** The conversation's entries were renumbered from the expected sender seq; resend them. */
  | { readonly kind: 'renumbered'; readonly convId: string; readonly from: number }
  /** The error is final: the entry left the outbox. */
  | { readonly kind: 'failed'; readonly entry: OutboxEntry }
  /** The server may accept the same request later; the entry waits until `at`. */
  | { readonly kind: 'retry'; readonly entry: OutboxEntry; readonly at: number }
  /** The answer belongs to an older transmission, or to an unknown entry: ignore it. */
  | { readonly kind: 'stale' };

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  /** Most entries written to the socket and not yet answered (default 256). */
  readonly window?: number;
  /** Delay before a retryable failure is resent, ms (default 1000). */
  readonly retryDelayMs?: number;
  readonly newId?: () => string;
  readonly now?: () => number;
  /** Called when a background store write fails. */
  readonly onStoreError?: (err: unknown) => void;
}

interface Slot {
  entry: OutboxEntry;
  persisted: boolean;
  /** The sender seq of the transmission awaiting an answer, if any. */
  inFlight: number | undefined;
  holdUntil: number;
}

const SEQ_ERRORS = new Set(['send.sender_seq_gap', 'send.sender_seq_conflict']);

/**
 * The durable outbox: hands out clientMsgId and sender seq, keeps every
 * message until the server acks it, and decides what to (re)send. It does no
 * I/O besides its store; the session feeds it answers through `handle*()`.
 */
export class Outbox {
  private readonly slots: Slot[] = [];
  private readonly next = new Map<string, number>();
  private readonly window: number;
  private readonly retryDelayMs: number;
  private readonly newId: () => string;
  private readonly now: () => number;
  private readonly onStoreError: (err: unknown) => void;

  private readonly store: ClientStore;

  constructor(store: ClientStore, options: OutboxOptions = {}) {
    this.store = store;
    this.window = options.window ?? 256;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.now = options.now ?? Date.now;
    this.onStoreError = options.onStoreError ?? (() => {});
  }

  /** Restores entries and counters loaded from the store. */
  load(entries: readonly OutboxEntry[], nextSenderSeqs: ReadonlyMap<string, number>): void {
    for (const [c, n] of nextSenderSeqs) this.next.set(c, n);
    // Stores keep insertion order, which is send order.
    for (const entry of entries) {
      this.slots.push({ entry, persisted: true, inFlight: undefined, holdUntil: 0 });
      this.next.set(entry.convId, Math.max(this.next.get(entry.convId) ?? 1, entry.senderSeq + 1));
    }
  }

  /**
   * Queues a message. The entry exists at once (so its id can be tracked);
   * it becomes sendable when `durable` resolves.
   */
  add(convId: string, type: string, content: Uint8Array, flags = 0, priority = 0): { entry: OutboxEntry; durable: Promise<void> } {
    const senderSeq = this.next.get(convId) ?? 1;
    this.next.set(convId, senderSeq + 1);
    const entry: OutboxEntry = { clientMsgId: this.newId(), convId, senderSeq, type, content, flags, createdAt: this.now(), ...(priority ? { priority } : {}) };
    const slot: Slot = { entry, persisted: false, inFlight: undefined, holdUntil: 0 };
    this.slots.push(slot);
    const durable = Promise.all([this.store.putOutbox(entry), this.store.setNextSenderSeq(convId, senderSeq + 1)]).then(
      () => {
        slot.persisted = true;
      },
      (err: unknown) => {
        this.remove(slot.entry.clientMsgId);
        throw err;
      },
    );
    return { entry, durable };
  }

  /**
   * Entries to write to the socket now, in order, within the window; they
   * count as in flight until answered or `resetInFlight()`. Within one
   * conversation nothing overtakes an entry that is not yet durable or waits
   * for a retry.
   */
  takeSendable(): OutboxEntry[] {
    const now = this.now();
    const blocked = new Set<string>();
    let inFlight = this.inFlightCount;
    const out: OutboxEntry[] = [];
    for (const slot of this.slots) {
      if (inFlight >= this.window) break;
      const c = slot.entry.convId;
      if (slot.inFlight !== undefined || blocked.has(c)) continue;
      if (!slot.persisted || slot.holdUntil > now) {
        blocked.add(c);
        continue;
      }
      slot.inFlight = slot.entry.senderSeq;
      inFlight++;
      out.push(slot.entry);
    }
    return out;
  }

  /** The connection dropped: unanswered entries will be resent. */
  resetInFlight(): void {
    for (const slot of this.slots) slot.inFlight = undefined;
  }

  /** The server committed the message: it leaves the outbox. Returns it, or undefined if unknown. */
  handleAck(clientMsgId: string): OutboxEntry | undefined {
    return this.remove(clientMsgId);
  }

  /**
   * The server rejected the transmission of `clientMsgId` made with
   * `sentSenderSeq`.
   */
  handleError(clientMsgId: string, sentSenderSeq: number, code: string, expectedSenderSeq: number, retryable: boolean): OutboxErrorOutcome {
    const slot = this.slots.find((s) => s.entry.clientMsgId === clientMsgId);
    if (!slot || slot.inFlight !== sentSenderSeq) return { kind: 'stale' };
    slot.inFlight = undefined;
    if (SEQ_ERRORS.has(code) && expectedSenderSeq > 0) {
      this.renumber(slot.entry.convId, expectedSenderSeq);
      return { kind: 'renumbered', convId: slot.entry.convId, from: expectedSenderSeq };
    }
    if (retryable) {
      slot.holdUntil = this.now() + this.retryDelayMs;
      return { kind: 'retry', entry: slot.entry, at: slot.holdUntil };
    }
    this.remove(clientMsgId);
    return { kind: 'failed', entry: slot.entry };
  }

  /** Earliest time an entry held for a retry becomes sendable, if one is held. */
  nextRetryAt(): number | undefined {
    const now = this.now();
    let at: number | undefined;
    for (const s of this.slots) if (s.holdUntil > now && (at === undefined || s.holdUntil < at)) at = s.holdUntil;
    return at;
  }

  /** Entries in send order. */
  entries(): OutboxEntry[] {
    return this.slots.map((s) => s.entry);
  }

  /** Number of unacked entries. */
  get size(): number {
    return this.slots.length;
  }

  /** Number of entries written and not yet answered. */
  get inFlightCount(): number {
    let n = 0;
    for (const s of this.slots) if (s.inFlight !== undefined) n++;
    return n;
  }

  /** The sender seq the next message of `convId` gets. */
  nextSenderSeq(convId: string): number {
    return this.next.get(convId) ?? 1;
  }

  /**
   * The server expects `from` next for this conversation: every unacked
   * entry of it is renumbered from there, keeping send order. Entries whose
   * number changed lose their in-flight mark, so answers to their old
   * transmissions come back stale.
   */
  private renumber(convId: string, from: number): void {
    let n = from;
    for (const slot of this.slots) {
      if (slot.entry.convId !== convId) continue;
      if (slot.entry.senderSeq !== n) {
        slot.entry = { ...slot.entry, senderSeq: n };
        slot.inFlight = undefined;
        // Stores apply writes in call order, so this lands after a pending first put.
        this.track(this.store.putOutbox(slot.entry));
      }
      n++;
    }
    this.next.set(convId, n);
    this.track(this.store.setNextSenderSeq(convId, n));
  }

  private remove(clientMsgId: string): OutboxEntry | undefined {
    const i = this.slots.findIndex((s) => s.entry.clientMsgId === clientMsgId);
    if (i < 0) return undefined;
    const [slot] = this.slots.splice(i, 1);
    this.track(this.store.deleteOutbox(clientMsgId));
    return slot?.entry;
  }

  private track(p: Promise<void>): void {
    p.catch(this.onStoreError);
  }
}
