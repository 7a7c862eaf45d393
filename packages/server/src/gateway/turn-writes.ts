/**
 * Writes coalesced per event-loop turn across every connection. A
 * connection with frames to send joins the turn's list once (its first
 * write of the turn) and keeps its frames itself; one `process.nextTick`
 * per turn then flushes every listed connection in the order it joined.
 * That is one socket write per connection per turn (a chatroom fan-out of
 * 10,000 members costs one deferred callback, not 10,000 closures and
 * cork/uncork pairs) and the first members' bytes leave as soon as the
 * fan-out loop, which now only appends, is done.
 */

/** Something holding frames of this turn. */
export interface TurnWriter {
  /** Writes what it holds; called once per turn it joined. */
  flushTurn(): void;
}

let due: TurnWriter[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const list = due;
  due = [];
  // A flush that writes again (a close announcing its reason) joins the next list.
  for (let i = 0; i < list.length; i++) list[i]!.flushTurn();
}

/** Puts `w` on this turn's list; call once per turn, on its first write. */
export function flushAtTurnEnd(w: TurnWriter): void {
  due.push(w);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flushAll);
  }
}
