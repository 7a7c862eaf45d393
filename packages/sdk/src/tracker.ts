import type { Message } from './message.ts';

/** A seq range of one conversation to pull (both ends inclusive). */
export interface PullSpec {
  readonly convId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  /** Identifies this pull: pass it back with its result or failure. */
  readonly id: number;
}

/** What the caller must do after feeding the tracker. */
export interface TrackerOutcome {
  /** Messages to hand to the app, in order (gapless per conversation). */
  readonly surfaced: Message[];
  /** Ranges to pull; each is marked in flight until its result or failure. */
  readonly pulls: PullSpec[];
}

/** Options of {@link ConversationTracker}. */
export interface TrackerOptions {
  /** Most out-of-order messages held per conversation (default 1000); more are dropped and pulled later. */
  readonly maxHeld?: number;
}

interface ConvState {
  lastSeq: number;
  /** Highest seq known to exist. */
  known: number;
  held: Map<number, Message>;
  /** Id of the pull in flight; 0 when none. */
  pulling: number;
  /** First seq the pull in flight asked for. */
  pullFrom: number;
}

/**
 * Keeps `lastSeq` per conversation and turns pushes, acks and pull results
 * into a gapless, ordered, duplicate-free stream: `seq <= lastSeq` is dropped,
 * `lastSeq + 1` is surfaced (then held successors drain), anything further
 * is held and the gap is pulled. No I/O: the session feeds it.
 */
export class ConversationTracker {
  private readonly convs = new Map<string, ConvState>();
  private readonly maxHeld: number;
  private nextPullId = 1;

  constructor(options: TrackerOptions = {}) {
    this.maxHeld = options.maxHeld ?? 1000;
  }

  /** Restores persisted lastSeqs. */
  load(lastSeqs: ReadonlyMap<string, number>): void {
    for (const [convId, seq] of lastSeqs) this.state(convId).lastSeq = seq;
  }

  /** Starts a conversation the device has nothing of at `seq` (a fresh chatroom join); never lowers lastSeq. */
  baseline(convId: string, seq: number): void {
    const st = this.state(convId);
    if (st.lastSeq < seq) {
      st.lastSeq = seq;
      st.known = Math.max(st.known, seq);
      this.dropCovered(st);
    }
  }

  /** Highest surfaced seq of a conversation (0 when nothing was). */
  lastSeq(convId: string): number {
    return this.convs.get(convId)?.lastSeq ?? 0;
  }

  /** A pushed message, or the sender's own acked message. */
  handleIncoming(msg: Message): TrackerOutcome {
    const st = this.state(msg.convId);
    const surfaced: Message[] = [];
    this.ingest(st, msg, surfaced);
    return { surfaced, pulls: this.maybePull(msg.convId, st) };
  }

  /** The conversation has messages up to `maxSeq` (from sync or a pull). */
  handleMaxSeq(convId: string, maxSeq: number): TrackerOutcome {
    const st = this.state(convId);
    st.known = Math.max(st.known, maxSeq);
    return { surfaced: [], pulls: this.maybePull(convId, st) };
  }

  /**
   * The answer to a pull of this conversation. Asks for the next page while
   * there is progress and a gap left; a page without progress stops pulling
   * until new input arrives, so a server that cannot fill a gap is not
   * hammered in a loop.
   */
  handlePullResult(convId: string, messages: readonly Message[], maxSeq: number, pullId?: number): TrackerOutcome {
    const st = this.state(convId);
    // An answer to another pull than the one in flight (a duplicated or late
    // answer) still delivers its messages, but must not end the current pull.
    const current = pullId !== undefined && pullId === st.pulling;
    if (current) st.pulling = 0;
    st.known = Math.max(st.known, maxSeq);
    const before = st.lastSeq;
    const surfaced: Message[] = [];
    // A marker computed before this device moved on (its start already surfaced, e.g. by acks of
    // the device's own sends while a re-join was answered) still says seqs past lastSeq are gone:
    // they must be asked again, trimmed, even though nothing surfaced from this answer.
    let staleCover = false;
    for (const m of messages) {
      if (m.convId !== convId) continue;
      if (m.coversTo !== undefined && m.seq <= st.lastSeq && m.coversTo > st.lastSeq) staleCover = true;
      this.ingest(st, m, surfaced);
    }
    // Progress since the pull was asked (from this answer, a push or an ack) means
    // the server is serving the gap: go on. None means it cannot: stop until new input.
    const progressed = st.lastSeq > before || (current && st.lastSeq >= st.pullFrom) || staleCover;
    return { surfaced, pulls: progressed ? this.maybePull(convId, st) : [] };
  }

  /** A pull failed: it may be asked again on the next input. */
  handlePullFailed(convId: string, pullId?: number): void {
    const st = this.convs.get(convId);
    if (st && (pullId === undefined || st.pulling === pullId)) st.pulling = 0;
  }

  /** The connection dropped: no pull is in flight any more. */
  resetPulls(): void {
    for (const st of this.convs.values()) st.pulling = 0;
  }

  /**
   * Pulls for every conversation known to have more than was surfaced: on a
   * fresh connection, so a gap whose pull was lost with the old one is
   * pulled again even if no new input names it.
   */
  resumePulls(): PullSpec[] {
    const out: PullSpec[] = [];
    for (const [convId, st] of this.convs) out.push(...this.maybePull(convId, st));
    return out;
  }

  /** True while a pull of the conversation is in flight. */
  isPulling(convId: string): boolean {
    return (this.convs.get(convId)?.pulling ?? 0) !== 0;
  }

  /** Number of held (not yet surfaced) messages of a conversation. */
  heldCount(convId: string): number {
    return this.convs.get(convId)?.held.size ?? 0;
  }

  private state(convId: string): ConvState {
    let st = this.convs.get(convId);
    if (!st) this.convs.set(convId, (st = { lastSeq: 0, known: 0, held: new Map(), pulling: 0, pullFrom: 0 }));
    return st;
  }

  private ingest(st: ConvState, msg: Message, surfaced: Message[]): void {
    if (msg.seq <= st.lastSeq) {
      // A stale marker (an answer computed before this device moved on) is never surfaced out of
      // order; what it covers beyond lastSeq is pulled again and comes back as a fresh entry.
      if (msg.coversTo !== undefined) st.known = Math.max(st.known, msg.coversTo);
      return;
    }
    st.known = Math.max(st.known, msg.seq, msg.coversTo ?? 0);
    if (msg.seq > st.lastSeq + 1) {
      if (st.held.size < this.maxHeld) st.held.set(msg.seq, msg);
      return;
    }
    surfaced.push(msg);
    st.lastSeq = Math.max(msg.seq, msg.coversTo ?? 0);
    this.dropCovered(st);
    for (let next = st.held.get(st.lastSeq + 1); next; next = st.held.get(st.lastSeq + 1)) {
      st.held.delete(next.seq);
      surfaced.push(next);
      st.lastSeq = Math.max(next.seq, next.coversTo ?? 0);
      this.dropCovered(st);
    }
  }

  /** A marker moved lastSeq past held messages: they are covered, never surfaced. */
  private dropCovered(st: ConvState): void {
    for (const seq of st.held.keys()) if (seq <= st.lastSeq) st.held.delete(seq);
  }

  private maybePull(convId: string, st: ConvState): PullSpec[] {
    if (st.pulling || st.known <= st.lastSeq) return [];
    let toSeq = st.known;
    for (const seq of st.held.keys()) if (seq - 1 < toSeq) toSeq = seq - 1;
    st.pulling = this.nextPullId++;
    st.pullFrom = st.lastSeq + 1;
    return [{ convId, fromSeq: st.lastSeq + 1, toSeq, id: st.pulling }];
  }
}
