import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import type { Bus } from '../bus/port.ts';
import type { SendInput, SendOutcome, Store } from '../storage/port.ts';

/** Options of {@link createCommitAffinity}. */
export interface CommitAffinityOptions {
  readonly store: Store;
  readonly bus: Bus;
  /** This node run's id, as listed by `members()`. */
  readonly self: string;
  /** Live node runs (this one included); fewer than two turns routing off. */
  readonly members: () => readonly string[];
  /**
   * Commits sends of conversations this node owns (its own and those other
   * nodes route here) through a group commit that never waits on another
   * node, so two nodes' queues can never wait on each other.
   */
  readonly commitHere: (inputs: readonly SendInput[]) => Promise<SendOutcome[]>;
  /** An owner that does not answer within this is bypassed: the sends commit here. */
  readonly timeoutMs: number;
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

/** JSON with byte arrays as base64. The replacer reads the raw value: a Buffer's toJSON has already run on `x`. */
const encode = (v: unknown): Uint8Array =>
  new TextEncoder().encode(
    JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
      const raw = this[k];
      return raw instanceof Uint8Array ? { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') } : x;
    }),
  );
const decode = <T>(bytes: Uint8Array): T =>
  JSON.parse(new TextDecoder().decode(bytes), (_k, x: unknown) =>
    x !== null && typeof x === 'object' && '$b' in x && typeof (x as { $b: unknown }).$b === 'string' ? new Uint8Array(Buffer.from((x as { $b: string }).$b, 'base64')) : x,
  ) as T;

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
 * locks. Correctness never depends on it: the owner commits through the same
 * PostgreSQL transaction, and when the owner is unknown, silent or failing,
 * the sends commit here instead (row locks keep seqs exact; the dedupe
 * record turns a late double commit into a duplicate answer).
 */
export function createCommitAffinity(o: CommitAffinityOptions): { readonly store: Store; close(): void } {
  const pending = new Map<string, (r: Reply) => void>();
  let seq = 0;
  /** Owners that did not answer in time, skipped until then: a dead node stays listed until its presence expires. */
  const suspect = new Map<string, number>();
  const prefix = randomBytes(4).toString('hex');

  const offReplies = o.bus.subscribe(replyTopic(o.self), (m) => {
    try {
      const r = decode<Reply>(m.payload);
      pending.get(r.id)?.(r);
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
    o.commitHere(req.inputs).then(
      (outcomes) => o.bus.publish({ topic: replyTopic(req.from), payload: encode({ id: req.id, outcomes } satisfies Reply) }),
      (err: unknown) => o.bus.publish({ topic: replyTopic(req.from), payload: encode({ id: req.id, error: String(err) } satisfies Reply) }),
    );
  });

  const remote = (owner: string, inputs: SendInput[]): Promise<SendOutcome[]> => {
    const id = `${prefix}-${++seq}`;
    return new Promise<SendOutcome[]>((resolve) => {
      const fallback = (why: string): void => {
        pending.delete(id);
        o.log.debug({ owner, why, sends: inputs.length }, 'committing here instead of the owner');
        suspect.set(owner, Date.now() + SUSPECT_MS);
        resolve(o.commitHere(inputs));
      };
      const timer = setTimeout(() => fallback('timeout'), o.timeoutMs);
      pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.outcomes && r.outcomes.length === inputs.length) {
          pending.delete(id);
          resolve(r.outcomes);
        } else fallback(r.error ?? 'bad reply');
      });
      o.bus.publish({ topic: requestTopic(owner), payload: encode({ id, from: o.self, inputs } satisfies Request) });
    });
  };

  const commitSends = async (batch: readonly SendInput[]): Promise<SendOutcome[]> => {
    const t = Date.now();
    const nodes = o.members().filter((n) => (suspect.get(n) ?? 0) < t);
    if (nodes.length < 2 || !nodes.includes(o.self)) return o.commitHere(batch);
    const groups = new Map<string, number[]>();
    for (const [i, input] of batch.entries()) {
      const owner = ownerOf(input.appKey + '\u0000' + input.convId, nodes) ?? o.self;
      const g = groups.get(owner);
      if (g) g.push(i);
      else groups.set(owner, [i]);
    }
    const out: SendOutcome[] = new Array(batch.length);
    await Promise.all(
      [...groups].map(async ([owner, idx]) => {
        const inputs = idx.map((i) => batch[i]!);
        const outcomes = owner === o.self ? await o.commitHere(inputs) : await remote(owner, inputs);
        for (const [k, i] of idx.entries()) out[i] = outcomes[k]!;
      }),
    );
    return out;
  };

  return {
    store: { ...o.store, commitSends },
    close() {
      offReplies();
      offRequests();
      for (const resolve of pending.values()) resolve({ id: '', error: 'closing' });
    },
  };
}
