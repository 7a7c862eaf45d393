import type { DatabaseSync } from 'node:sqlite';
import type { Statements } from './statements.ts';

type Raise = readonly [appKey: string, userId: string, deviceId: string, convId: string, seq: number];

/**
 * Delivered cursors, raised in one transaction per event-loop turn. A
 * reconnecting device acks every conversation it pulled; one WAL commit per
 * ack cost more than the pulls themselves. Each `raise` still resolves only
 * once its row is committed, and a read flushes what is pending first, so
 * callers see exactly what they saw with one transaction per ack. The
 * pending list is bounded by the requests a turn may start (the gateway's
 * turn scheduler).
 */
export function createDeliveredWriter(db: DatabaseSync, s: Statements) {
  let pending: { row: Raise; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    try {
      s.begin.run();
      try {
        for (const p of batch) s.raiseDelivered.run(...p.row);
        s.commit.run();
      } catch (err) {
        if (db.isTransaction) s.rollback.run();
        throw err;
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) p.resolve();
  }

  return {
    /** Raises a device's delivered cursor (never lowers it); resolves once committed. */
    raise(...row: Raise): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ row, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    /** Commits what is pending now (before a read, and before the store closes). */
    flush,
  };
}
