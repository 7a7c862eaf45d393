/**
 * Bounded request work per event-loop turn. Every frame of every connection
 * runs through one FIFO: requests start while the turn has spent fewer than
 * `maxUnitsPerTurn` cost units (and, if set, less than `budgetMs`), the rest
 * wait for the next turn (a `setImmediate`), so the event loop polls between
 * batches and accepts, upgrades and socket reads are never starved by a storm
 * of syncs and pulls. Cheap requests (sends) cost 1 unit and run hundreds to a
 * turn, so group commits stay large; reads cost 8. Under light load a request
 * runs at once, with no hop.
 * One FIFO keeps each connection's requests in the order they arrived.
 * Connection upgrades go in a first lane, served before requests: a client
 * that is not yet connected costs a retransmitted SYN when the kernel's
 * accept queue overflows, seconds of backoff, while a queued request waits
 * only for its turn.
 *
 * The queue is bounded: a connection that finds it full is paused (its socket
 * stops being read, so the kernel's flow control pushes back on the client)
 * until the queue has drained to half.
 */

/** A source of work that can stop and restart reading (a connection). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** Options of {@link createTurnScheduler}. */
export interface TurnSchedulerOptions {
  /** Time one turn may spend starting requests before yielding to I/O, ms (none by default, see {@link TURN_DEFAULTS}). */
  readonly budgetMs?: number;
  /**
   * At most this many cost units a turn, however little time they took:
   * requests that only start asynchronous work (reads on a worker) cost the
   * turn little time but pile up work elsewhere. A request costs 1 unit
   * unless it says more (see {@link REQUEST_COST}).
   */
  readonly maxUnitsPerTurn?: number;
  /** Queued requests beyond which the enqueuing source is paused. */
  readonly maxQueued: number;
  /** The clock, ms (tests). */
  readonly now?: () => number;
}

/**
 * Defaults, measured on the benchmarks (bench/RESULTS.md): 1,024 units a turn
 * and no time budget. A count of 48 (or 128) requests a turn halved the
 * sustained 1:1 send rate (sends waited behind the cap); a 4 ms time budget
 * kept 1:1 and the storm fast but delayed a 10,000-member room's messages by
 * seconds (cause not established; left off until it is).
 */
export const TURN_DEFAULTS: TurnSchedulerOptions = { maxUnitsPerTurn: 1024, maxQueued: 50_000 };

/**
 * Cost units of a request by kind: a sync or pull starts a read (on the
 * store's worker) and answers with up to a page of messages; a send, the
 * common request, is cheap to start (its commit is batched). 1,024 units: up
 * to 1,024 sends or 128 reads a turn. (A time budget alone let a reconnect
 * storm start more reads than the worker holds, which then ran on the main
 * thread: 20% slower.)
 */
export const REQUEST_COST = { read: 8, other: 1 } as const;

/** Creates a scheduler; see the module comment. */
export function createTurnScheduler(o: TurnSchedulerOptions = TURN_DEFAULTS) {
  let queue: (() => void)[] = [];
  let costs: number[] = [];
  let head = 0;
  /** The first lane (upgrades); short, so a plain array. */
  let first: (() => void)[] = [];
  const now = o.now ?? ((): number => performance.now());
  /** Requests started since the last yield, and when the first of them started. */
  let started = 0;
  let turnStart = 0;
  const maxUnits = o.maxUnitsPerTurn ?? Infinity;
  const budgetMs = o.budgetMs ?? Infinity;
  const spent = (): boolean => started >= maxUnits || (budgetMs !== Infinity && now() - turnStart >= budgetMs);
  let scheduled = false;
  const paused = new Set<Pausable>();

  const queued = (): number => queue.length - head + first.length;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  }

  /** Runs `task` at once when nothing waits and this turn has budget; true when it ran. */
  function runNow(task: () => void, cost: number): boolean {
    if (queued() > 0) return false;
    if (started === 0) turnStart = now();
    else if (spent()) return false;
    started += cost;
    schedule();
    task();
    return true;
  }

  function drain(): void {
    scheduled = false;
    started = 0;
    turnStart = now();
    let i = 0;
    for (; i < first.length && (i === 0 || !spent()); i++) {
      started++;
      first[i]!();
    }
    first = i === first.length ? [] : first.slice(i);
    while (head < queue.length && (started === 0 || !spent())) {
      const task = queue[head]!;
      started += costs[head]!;
      queue[head++] = noop;
      task();
    }
    if (head === queue.length && head > 0) {
      queue = [];
      costs = [];
      head = 0;
    } else if (head > 4096 && head * 2 > queue.length) {
      queue = queue.slice(head);
      costs = costs.slice(head);
      head = 0;
    }
    if (paused.size > 0 && queued() <= o.maxQueued / 2) {
      const resume = [...paused];
      paused.clear();
      for (const p of resume) p.resume();
    }
    // A fresh turn's budget starts when this one's work has run; until then inline requests queue too.
    if (queued() > 0 || started > 0) schedule();
  }

  return {
    /**
     * Runs `task` now when this turn still has budget and nothing is waiting,
     * else queues it behind the waiting ones. `source` is paused while the queue is full.
     * `cost`: its units against the turn's {@link TurnSchedulerOptions.maxUnitsPerTurn}.
     */
    run(task: () => void, source?: Pausable, cost = 1): void {
      if (runNow(task, cost)) return;
      queue.push(task);
      costs.push(cost);
      schedule();
      if (source && queued() >= o.maxQueued && !paused.has(source)) {
        paused.add(source);
        source.pause();
      }
    },
    /** Like {@link run}, in the first lane: ahead of every queued request. */
    runFirst(task: () => void): void {
      if (runNow(task, 1)) return;
      first.push(task);
      schedule();
    },
    /** Forgets a source that went away (a closed connection is not resumed). */
    forget(source: Pausable): void {
      paused.delete(source);
    },
    /** Requests waiting for a turn. */
    get queued(): number {
      return queued();
    },
  };
}

function noop(): void {}

/** The per-node request scheduler. */
export type TurnScheduler = ReturnType<typeof createTurnScheduler>;
