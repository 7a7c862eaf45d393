/**
 * Writes coalesced per event-loop turn across every connection. A
 * connection with frames to send joins the flush queue once (its first
 * write since its last flush) and keeps its frames itself; one
 * `process.nextTick` then flushes the queued connections in the order they
 * joined. That is one socket write per connection per flush (a chatroom
 * fan-out of 10,000 members costs one deferred callback, not 10,000 closures
 * and cork/uncork pairs), and the first members' bytes leave as soon as the
 * fan-out loop, which only appends, is done.
 *
 * A long flush yields to the event loop every {@link SLICE_MS} and goes on
 * where it stopped (a rolling cursor). Frames that arrive meanwhile join the
 * held frames of connections not yet flushed (same write), and connections
 * already flushed join the queue's tail. So when one flush of every member
 * of a big room takes T (one socket write costs microseconds of CPU), a new
 * message reaches every member within about T of its arrival; a flush that
 * ran to its end before reading anything new would take up to 2T (the wait
 * for the running flush, then a whole flush of its own).
 */

/** Something holding frames to write. */
export interface TurnWriter {
  /** Writes what it holds; called once per time it joined the queue. */
  flushTurn(): void;
}

/** Time a flush runs before it yields to the event loop, ms. */
export const SLICE_MS = 2;
/**
 * Writers flushed between two looks at the clock: a flush of fewer never
 * yields, so 1:1 traffic (a few hundred connections with many frames each)
 * flushes exactly as it did before slicing. A first version that could yield
 * after 32 writers measured 1:1 p99 at 20,000 msgs/s of 511 ms against 54
 * (one run each; this machine's noise at that rate is large, 52-534 ms for
 * the same code, so the cause was not pinned down). A big room's flush
 * (thousands of members) still yields every few ms.
 */
const CHECK_EVERY = 512;

let due: Array<TurnWriter | undefined> = [];
let head = 0;
let scheduled = false;

function flushDue(): void {
  const start = performance.now();
  while (head < due.length) {
    const end = Math.min(due.length, head + CHECK_EVERY);
    for (; head < end; head++) {
      const w = due[head]!;
      due[head] = undefined;
      // A flush that writes again (a close announcing its reason) joins the tail.
      w.flushTurn();
    }
    if (head < due.length && performance.now() - start >= SLICE_MS) {
      setImmediate(flushDue);
      return;
    }
  }
  due = [];
  head = 0;
  scheduled = false;
}

/** Puts `w` on the flush queue; call once per flush, on its first write since the last. */
export function flushAtTurnEnd(w: TurnWriter): void {
  due.push(w);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flushDue);
  }
}
