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

/** Answers one request; a rejection is passed to the requester as a {@link BusRequestError} of reason `failed`. */
export type BusResponder = (payload: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** Why a request got no answer. */
export type BusRequestFailure = 'no_responders' | 'timeout' | 'failed' | 'closed';

/** A request without an answer. At-most-once like the rest: the request may or may not have been handled. */
export class BusRequestError extends Error {
  readonly reason: BusRequestFailure;
  constructor(reason: BusRequestFailure, topic: string, options?: ErrorOptions) {
    super(`bus request on ${topic}: ${reason}`, options);
    this.name = 'BusRequestError';
    this.reason = reason;
  }
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
  /**
   * Answers requests on `topic` until the returned function is called. One
   * responder per topic in the deployment is the caller's business (e.g. a
   * per-node topic): with several, the first answer wins.
   */
  respond(topic: string, responder: BusResponder): () => void;
  /**
   * Sends `payload` to the responder of `topic` and resolves with its answer.
   * Rejects with a {@link BusRequestError}: `no_responders` (nobody answers
   * the topic, known at once), `timeout` (none within `timeoutMs`; it may
   * still have run), `failed` (the responder threw), `closed`.
   */
  request(topic: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
