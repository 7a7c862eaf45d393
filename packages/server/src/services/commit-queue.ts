import type { SendInput, SendOutcome, Store } from '../storage/port.ts';

/** Answer for one queued send: its outcome, or the error that failed its batch. */
export type CommitCallback = (outcome: SendOutcome | undefined, error?: unknown) => void;

/** Group commit: sends queued in one event-loop turn commit in one transaction. */
export interface CommitQueue {
  /** Queues a send; false (and no callback) when the queue is full. */
  submit(input: SendInput, done: CommitCallback): boolean;
  /** Resolves when everything queued so far has been answered. */
  drain(): Promise<void>;
  readonly pending: number;
}

/** Options of {@link createCommitQueue}. */
export interface CommitQueueOptions {
  readonly store: Store;
  readonly batchMax: number;
  readonly queueMax: number;
  /**
   * A batch smaller than `batchMax` waits until its first send has been
   * queued this long, ms (default 0: a batch starts as soon as the previous
   * one is done). Each commit costs a round trip per statement and a WAL
   * flush whatever its size, so against a networked database a short wait
   * makes batches several times larger and each send cheaper.
   */
  readonly lingerMs?: number;
  /** Called once per committed batch (for metrics). */
  readonly onBatch?: (size: number, ms: number) => void;
}

/**
 * Batches sends into `store.commitSends` calls, one batch in flight at a time,
 * so batches (and the sends inside them) commit in submission order: a
 * connection's pipelined sends keep their order, and an ack is only ever
 * sent after its batch is durable.
 */
export function createCommitQueue(options: CommitQueueOptions): CommitQueue {
  const { store, batchMax, queueMax } = options;
  let inputs: SendInput[] = [];
  let callbacks: CommitCallback[] = [];
  let running = false;
  let scheduled = false;
  let idle: Array<() => void> = [];
  const lingerMs = options.lingerMs ?? 0;
  /** When the oldest queued send was queued (for the linger). */
  let firstAt = 0;
  let lingering: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (scheduled || running) return;
    scheduled = true;
    // setImmediate runs after the I/O callbacks of this turn: every frame read now joins the batch.
    setImmediate(run);
  };

  /** Ends a linger early (the batch is full, or a drain waits); `schedule()` then runs the batch. */
  const cutLinger = (): void => {
    if (lingering === undefined) return;
    clearTimeout(lingering);
    lingering = undefined;
    scheduled = false;
  };

  const run = (): void => {
    scheduled = false;
    if (inputs.length === 0) {
      const waiters = idle;
      idle = [];
      for (const w of waiters) w();
      return;
    }
    // Someone waits for a drain (a shutdown): nothing more is coming, no linger.
    if (lingerMs > 0 && inputs.length < batchMax && idle.length === 0) {
      const wait = firstAt + lingerMs - performance.now();
      if (wait > 0) {
        scheduled = true;
        lingering = setTimeout(() => {
          lingering = undefined;
          run();
        }, wait);
        return;
      }
    }
    running = true;
    const batch = inputs.length > batchMax ? inputs.splice(0, batchMax) : inputs;
    const done = callbacks.length > batchMax ? callbacks.splice(0, batchMax) : callbacks;
    if (batch === inputs) {
      inputs = [];
      callbacks = [];
    }
    const started = performance.now();
    store
      .commitSends(batch)
      .then(
        (outcomes) => {
          options.onBatch?.(batch.length, performance.now() - started);
          for (let i = 0; i < done.length; i++) done[i]!(outcomes[i]);
        },
        (err: unknown) => {
          for (const cb of done) cb(undefined, err);
        },
      )
      .finally(() => {
        running = false;
        schedule();
      });
  };

  return {
    submit(input, done) {
      if (inputs.length >= queueMax) return false;
      if (inputs.length === 0) firstAt = performance.now();
      inputs.push(input);
      callbacks.push(done);
      if (inputs.length >= batchMax) cutLinger();
      schedule();
      return true;
    },
    drain() {
      if (!running && !scheduled && inputs.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        // Nothing more is coming (a shutdown): a lingering batch commits now.
        cutLinger();
        schedule();
      });
    },
    get pending() {
      return inputs.length;
    },
  };
}
