import { StoreState, type ClientStore, type OutboxEntry, type StoreOp, type StoreSnapshot } from './store.ts';

/** A store kept in memory, with a peek at its state for tests. */
export interface MemoryStore extends ClientStore {
  /** The current state (a copy). */
  snapshot(): StoreSnapshot;
}

/**
 * Creates a store that lives as long as the process. Nothing survives a
 * restart: use it in tests, or where resend after a restart is not needed.
 * Passing the same `MemoryStore` to a new client simulates a restart.
 */
export function createMemoryStore(): MemoryStore {
  const state = new StoreState();
  const apply = (op: StoreOp): Promise<void> => {
    state.apply(op);
    return Promise.resolve();
  };
  return {
    load: () => Promise.resolve(state.snapshot()),
    snapshot: () => state.snapshot(),
    setDeviceId: (deviceId: string) => apply({ op: 'device', deviceId }),
    putOutbox: (entry: OutboxEntry) => apply({ op: 'put', entry }),
    deleteOutbox: (clientMsgId: string) => apply({ op: 'del', clientMsgId }),
    setNextSenderSeq: (convId: string, next: number) => apply({ op: 'sender', convId, next }),
    setLastSeq: (convId: string, seq: number) => apply({ op: 'last', convId, seq }),
    setCursor: (cursor: number) => apply({ op: 'cursor', cursor }),
    close: () => Promise.resolve(),
  };
}
