/** A cumulative delivery ack to send. */
export interface DeliveryAckSpec {
  readonly convId: string;
  readonly seq: number;
}

/**
 * Collects surfaced seqs per conversation so delivery acks go out batched:
 * acks are cumulative, so only the highest seq per conversation matters.
 */
export class DeliveryAcks {
  private readonly pending = new Map<string, number>();

  /** A message was surfaced to the app. Returns true when this starts a new batch. */
  handleSurfaced(convId: string, seq: number): boolean {
    const empty = this.pending.size === 0;
    if (seq > (this.pending.get(convId) ?? 0)) this.pending.set(convId, seq);
    return empty;
  }

  /** Takes the batch to send. */
  take(): DeliveryAckSpec[] {
    const out = [...this.pending].map(([convId, seq]) => ({ convId, seq }));
    this.pending.clear();
    return out;
  }

  /** Puts back acks that could not be sent (the connection dropped). */
  restore(acks: readonly DeliveryAckSpec[]): void {
    for (const a of acks) this.handleSurfaced(a.convId, a.seq);
  }

  get size(): number {
    return this.pending.size;
  }
}
