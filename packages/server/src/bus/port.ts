/**
 * The bus port: routing of pushes between nodes. At-most-once: a message may
 * be lost, and the seq/sync protocol heals that. Never the system of record.
 * Two adapters (in-process, NATS) pass `conformance.ts`.
 */

/** One message on the bus. */
export interface BusMessage {
  /** Opaque routing key, built by `topics.ts`. */
  readonly topic: string;
  /** Bytes to hand to subscribers unchanged (an encoded frame, encoded once). */
  readonly payload: Uint8Array;
  /** Connection that must not receive it (the sender's own), if any. */
  readonly skipConnection?: string;
}

/** Called for each message on a subscribed topic. Must not throw. */
export type BusHandler = (message: BusMessage) => void;

/** The bus port. */
export interface Bus {
  /**
   * Delivers every later message published on `topic` to `handler` until the
   * returned function is called. A node subscribes to a topic only while it
   * holds a recipient, so messages cross only to nodes that need them.
   */
  subscribe(topic: string, handler: BusHandler): () => void;
  /** Publishes without waiting; may be lost. */
  publish(message: BusMessage): void;
  close(): Promise<void>;
}
