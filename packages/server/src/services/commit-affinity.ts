import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import type { Bus } from '../bus/port.ts';
import type { SendInput, SendOutcome } from '../storage/port.ts';
import type { CommitCallback, CommitQueue } from './commit-queue.ts';
import { decodeJson, encodeJson } from './bus-json.ts';

/** Options of {@link createCommitAffinity}. */
export interface CommitAffinityOptions {
  readonly bus: Bus;
  /** This node run's id, as listed by `members()`. */
  readonly self: string;
  /** Live node runs (this one included); fewer than two turns routing off. */
  readonly members: () => readonly string[];
  /**
   * The group commit of the conversations this node owns: its own sends and
   * those other nodes route here. It never waits on another node, so two
   * nodes can never wait on each other.
   */
  readonly owned: CommitQueue;
  /** An owner that does not answer within this is bypassed: the sends commit here. */
  readonly timeoutMs: number;
  /** Sends waiting for an owner before new ones are refused. */
  readonly queueMax: number;
  readonly log: Logger;
}

interface Request {
  readonly id: string;
  readonly from: string;
  readonly inputs: SendInput[];
}
interface Reply {
  readonly id: string;
  readonly outcomes?: SendOutcome[];
  readonly error?: string;
}

const SUSPECT_MS = 10_000;
const requestTopic = (node: string): string => `commit.${node}`;
const replyTopic = (node: string): string => `commit-reply.${node}`;

const encode = encodeJson;
const decode = decodeJson;

/** Rendezvous hashing: the owner of a key among `nodes`, stable while the set is. */
export function ownerOf(key: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const n of nodes) {
    // FNV-1a over key + node, then a finaliser.
    let h = 0x811c9dc5;
    const s = key + '\u0000' + n;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    // Murmur3's finaliser: FNV alone barely mixes the last characters, which are the node id.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    if (h > bestScore || (h === bestScore && best !== undefined && n < best)) [best, bestScore] = [n, h];
  }
  return best;
}

/**
 * Conversation affinity, a performance measure only: every node sends a
 * conversation's commits to one owner node (rendezvous hash over the live
 * nodes), so two nodes never take turns on the same conversation's row
 * locks. It is a {@link CommitQueue}: a send of an owned conversation joins
 * the owned group commit at once; others are batched per owner (one bus
 * request per owner per event-loop turn, several may be in flight: the bus
 * keeps one publisher's order, and the owner commits them in arrival order).
 * Correctness never depends on it: the owner commits through the same
 * PostgreSQL transaction, and when the owner is unknown, silent or failing,
 * the sends commit here instead (row locks keep seqs exact; the dedupe
 * record turns a late double commit into a duplicate answer; a sender-seq
 * gap from a reordering is answered and resent like after a reconnect).
 */
export function createCommitAffinity(o: CommitAffinityOptions): CommitQueue & { close(): void } {
  interface Entry {
    readonly input: SendInput;
    readonly done: CommitCallback;
  }
  const inFlight = new Map<string, { readonly owner: string; readonly entries: Entry[]; readonly timer: NodeJS.Timeout }>();
  const outgoing = new Map<string, Entry[]>();
  /** Owners that did not answer in time, skipped until then: a dead node stays listed until its presence expires. */
  const suspect = new Map<string, number>();
  const prefix = randomBytes(4).toString('hex');
  let seq = 0;
  let waiting = 0;
  let scheduled = false;
  let idle: Array<() => void> = [];
  let closed = false;

  const settle = (): void => {
    if (waiting > 0 || outgoing.size > 0) return;
    const waiters = idle;
    idle = [];
    void o.owned.drain().then(() => waiters.forEach((w) => w()));
  };

  /**
   * Commits here what an owner did not answer for. The owner may have stored
   * some of it all the same (its answer was late or lost): those come back
   * as duplicates, and are answered as stored so that their pushes, which
   * nobody else will publish, go out (a device drops a push it already has).
   */
  const commitHere = (entries: readonly Entry[]): void => {
    for (const e of entries) {
      const done: CommitCallback = (outcome, err) =>
        e.done(outcome?.status === 'duplicate' ? { status: 'stored', message: outcome.message } : outcome, err);
      if (!o.owned.submit(e.input, done)) e.done(undefined, new Error('commit queue full'));
    }
  };

  const finish = (id: string, outcomes: SendOutcome[] | undefined, why?: string): void => {
    const req = inFlight.get(id);
    if (!req) return;
    inFlight.delete(id);
    clearTimeout(req.timer);
    waiting -= req.entries.length;
    if (outcomes && outcomes.length === req.entries.length) {
      for (const [i, e] of req.entries.entries()) e.done(outcomes[i]);
    } else {
      suspect.set(req.owner, Date.now() + SUSPECT_MS);
      o.log.debug({ owner: req.owner, why, sends: req.entries.length }, 'committing here instead of the owner');
      commitHere(req.entries);
    }
    settle();
  };

  const flush = (): void => {
    scheduled = false;
    for (const [owner, entries] of outgoing) {
      const id = `${prefix}-${++seq}`;
      const timer = setTimeout(() => finish(id, undefined, 'timeout'), o.timeoutMs);
      inFlight.set(id, { owner, entries, timer });
      o.bus.publish({ topic: requestTopic(owner), payload: encode({ id, from: o.self, inputs: entries.map((e) => e.input) } satisfies Request) });
    }
    outgoing.clear();
  };

  const offReplies = o.bus.subscribe(replyTopic(o.self), (m) => {
    try {
      const r = decode<Reply>(m.payload);
      finish(r.id, r.outcomes, r.error ?? 'bad reply');
    } catch (err) {
      o.log.warn({ err: String(err) }, 'bad commit reply');
    }
  });
  const offRequests = o.bus.subscribe(requestTopic(o.self), (m) => {
    let req: Request;
    try {
      req = decode<Request>(m.payload);
    } catch (err) {
      return o.log.warn({ err: String(err) }, 'bad commit request');
    }
    const reply = (r: Reply): void => o.bus.publish({ topic: replyTopic(req.from), payload: encode(r) });
    const outcomes: SendOutcome[] = new Array(req.inputs.length);
    let left = req.inputs.length;
    let failed = false;
    for (const [i, input] of req.inputs.entries()) {
      const accepted = o.owned.submit(input, (outcome, err) => {
        if (failed) return;
        if (!outcome) {
          failed = true;
          return reply({ id: req.id, error: String(err) });
        }
        outcomes[i] = outcome;
        if (--left === 0) reply({ id: req.id, outcomes });
      });
      if (!accepted && !failed) {
        failed = true;
        reply({ id: req.id, error: 'commit queue full' });
      }
    }
  });

  return {
    submit(input, done) {
      if (closed) return o.owned.submit(input, done);
      const t = Date.now();
      const nodes = o.members().filter((n) => (suspect.get(n) ?? 0) < t);
      const owner = nodes.length < 2 || !nodes.includes(o.self) ? o.self : (ownerOf(input.appKey + '\u0000' + input.convId, nodes) ?? o.self);
      if (owner === o.self) return o.owned.submit(input, done);
      if (waiting >= o.queueMax) return false;
      waiting++;
      const list = outgoing.get(owner);
      if (list) list.push({ input, done });
      else outgoing.set(owner, [{ input, done }]);
      if (!scheduled) {
        scheduled = true;
        // After the I/O callbacks of this turn, like the group commit: one request per owner per turn.
        setImmediate(flush);
      }
      return true;
    },
    drain() {
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settle();
      });
    },
    get pending() {
      return waiting + o.owned.pending;
    },
    close() {
      closed = true;
      offReplies();
      offRequests();
      for (const id of [...inFlight.keys()]) finish(id, undefined, 'closing');
    },
  };
}
