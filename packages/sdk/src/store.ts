/**
 * The persistence port of the client: what must survive a restart. Adapters
 * apply mutations in call order, and a mutation's promise resolves only once
 * it is durable (the outbox relies on this: an entry is written to the socket
 * only after `putOutbox` resolved).
 */

/** One unacknowledged message in the outbox. */
export interface OutboxEntry {
  readonly clientMsgId: string;
  readonly convId: string;
  /** Per (device, conversation): 1, 2, 3, ... */
  readonly senderSeq: number;
  readonly type: string;
  readonly content: Uint8Array;
  readonly flags: number;
  /** Chatrooms: 1 low, 2 high; absent for normal. */
  readonly priority?: number;
  /** When `send()` was called, milliseconds since the epoch. */
  readonly createdAt: number;
}

/** Everything a store holds, as loaded at start. */
export interface StoreSnapshot {
  deviceId: string | undefined;
  /** The sync cursor of the last fully applied sync; 0 for a new device. */
  cursor: number;
  /** Highest surfaced seq per conversation. */
  lastSeqs: Map<string, number>;
  /** Next sender seq to hand out per conversation. */
  nextSenderSeqs: Map<string, number>;
  /** Unacked entries in send order. */
  outbox: OutboxEntry[];
}

/** The client's persistence port. */
export interface ClientStore {
  /** Reads the whole state; called once at start. */
  load(): Promise<StoreSnapshot>;
  setDeviceId(deviceId: string): Promise<void>;
  /** Inserts or replaces the entry with the same clientMsgId. */
  putOutbox(entry: OutboxEntry): Promise<void>;
  deleteOutbox(clientMsgId: string): Promise<void>;
  setNextSenderSeq(convId: string, next: number): Promise<void>;
  setLastSeq(convId: string, seq: number): Promise<void>;
  setCursor(cursor: number): Promise<void>;
  close(): Promise<void>;
}

/** One mutation, as adapters journal it. */
export type StoreOp =
  | { readonly op: 'device'; readonly deviceId: string }
  | { readonly op: 'put'; readonly entry: OutboxEntry }
  | { readonly op: 'del'; readonly clientMsgId: string }
  | { readonly op: 'sender'; readonly convId: string; readonly next: number }
  | { readonly op: 'last'; readonly convId: string; readonly seq: number }
  | { readonly op: 'cursor'; readonly cursor: number };

/** An empty snapshot (a new device). */
export function emptySnapshot(): StoreSnapshot {
  return { deviceId: undefined, cursor: 0, lastSeqs: new Map(), nextSenderSeqs: new Map(), outbox: [] };
}

/**
 * State rebuilt from ops; shared by the adapters so they agree on meaning.
 * The outbox keeps insertion order; a `put` of a known entry replaces it in place.
 */
export class StoreState {
  deviceId: string | undefined = undefined;
  cursor = 0;
  readonly lastSeqs = new Map<string, number>();
  readonly nextSenderSeqs = new Map<string, number>();
  readonly outbox = new Map<string, OutboxEntry>();

  apply(op: StoreOp): void {
    switch (op.op) {
      case 'device':
        this.deviceId = op.deviceId;
        break;
      case 'put':
        this.outbox.set(op.entry.clientMsgId, op.entry);
        break;
      case 'del':
        this.outbox.delete(op.clientMsgId);
        break;
      case 'sender':
        this.nextSenderSeqs.set(op.convId, op.next);
        break;
      case 'last':
        this.lastSeqs.set(op.convId, op.seq);
        break;
      case 'cursor':
        this.cursor = op.cursor;
        break;
    }
  }

  /** A copy safe to hand out. */
  snapshot(): StoreSnapshot {
    return {
      deviceId: this.deviceId,
      cursor: this.cursor,
      lastSeqs: new Map(this.lastSeqs),
      nextSenderSeqs: new Map(this.nextSenderSeqs),
      outbox: [...this.outbox.values()],
    };
  }

  /** The fewest ops that rebuild this state (for compaction). */
  toOps(): StoreOp[] {
    const ops: StoreOp[] = [];
    if (this.deviceId !== undefined) ops.push({ op: 'device', deviceId: this.deviceId });
    if (this.cursor !== 0) ops.push({ op: 'cursor', cursor: this.cursor });
    for (const [convId, seq] of this.lastSeqs) ops.push({ op: 'last', convId, seq });
    for (const [convId, next] of this.nextSenderSeqs) ops.push({ op: 'sender', convId, next });
    for (const entry of this.outbox.values()) ops.push({ op: 'put', entry });
    return ops;
  }
}
