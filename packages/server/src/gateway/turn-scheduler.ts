/**
 * Bounded request work per event-loop turn. Every frame of every connection
 * runs through one FIFO: at most `perTurn` of them start in a turn, the rest
 * wait for the next one (a `setImmediate`), so the event loop polls between
 * batches and accepts, upgrades and socket reads are never starved by a storm
 * of syncs and pulls. Under light load a request runs at once, with no hop.
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
  /** Requests started per event-loop turn before yielding to I/O. */
  readonly perTurn: number;
  /** Queued requests beyond which the enqueuing source is paused. */
  readonly maxQueued: number;
}

/** Defaults: a pull answer costs up to ~0.5 ms, so a turn stays within a few tens of ms. */
export const TURN_DEFAULTS: TurnSchedulerOptions = { perTurn: 48, maxQueued: 50_000 };

/** Creates a scheduler; see the module comment. */
export function createTurnScheduler(o: TurnSchedulerOptions = TURN_DEFAULTS) {
  let queue: (() => void)[] = [];
  let head = 0;
  /** The first lane (upgrades); short, so a plain array. */
  let first: (() => void)[] = [];
  /** Requests started since the last yield. */
  let started = 0;
  let scheduled = false;
  const paused = new Set<Pausable>();

  const queued = (): number => queue.length - head + first.length;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  }

  /** Runs `task` at once when nothing waits and this turn has budget; true when it ran. */
  function runNow(task: () => void): boolean {
    if (queued() > 0 || started >= o.perTurn) return false;
    started++;
    schedule();
    task();
    return true;
  }

  function drain(): void {
    scheduled = false;
    started = 0;
    if (first.length > 0) {
      const lane = first;
      first = lane.length > o.perTurn ? lane.splice(o.perTurn) : [];
      for (const task of lane) {
        started++;
        task();
      }
    }
    while (started < o.perTurn && head < queue.length) {
      const task = queue[head]!;
      queue[head++] = noop;
      started++;
      task();
    }
    if (head === queue.length && head > 0) {
      queue = [];
      head = 0;
    } else if (head > 4096 && head * 2 > queue.length) {
      queue = queue.slice(head);
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
     */
    run(task: () => void, source?: Pausable): void {
      if (runNow(task)) return;
      queue.push(task);
      schedule();
      if (source && queued() >= o.maxQueued && !paused.has(source)) {
        paused.add(source);
        source.pause();
      }
    },
    /** Like {@link run}, in the first lane: ahead of every queued request. */
    runFirst(task: () => void): void {
      if (runNow(task)) return;
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
