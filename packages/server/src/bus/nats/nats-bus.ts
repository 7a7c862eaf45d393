import { connect, headers, RequestError, TimeoutError, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { BusRequestError, type Bus, type BusHandler, type BusMessage } from '../port.ts';
import { subjectRoot, topicSubject } from './subjects.ts';

/**
 * The cluster bus: core NATS, at-most-once, one subject per topic. A node
 * holds one NATS subscription per topic it has handlers for, however many
 * local handlers share it. The client reconnects forever and nats.js
 * re-subscribes on reconnect; messages published while a link is down may
 * be lost, which the seq/sync protocol heals.
 */

/** Header carrying `BusMessage.skipConnection`. */
export const SKIP_HEADER = 'Tidings-Skip-Connection';

/** Header of a reply whose responder failed (the body is empty). */
export const FAILED_HEADER = 'Tidings-Failed';

/** Options of {@link createNatsBus}. */
export interface NatsBusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | readonly string[];
  /** Isolates deployments (or test runs) sharing a NATS server; `[A-Za-z0-9_-]+`, default `default`. */
  readonly prefix?: string;
  /** Connection name shown by the NATS server's monitoring, e.g. the node id. */
  readonly name?: string;
  /** Wait between reconnect attempts to one server, ms (default 1000). */
  readonly reconnectTimeWaitMs?: number;
  /** Lifecycle changes (disconnect, reconnect, errors): one call each, never per message. */
  readonly onStatus?: (status: { readonly type: string; readonly detail?: string }) => void;
}

interface Topic {
  readonly sub: Subscription;
  readonly handlers: Set<BusHandler>;
}

/**
 * Connects to NATS and returns a {@link Bus}. `close()` drains: messages
 * already received are delivered and published ones flushed before the
 * connection closes.
 *
 * @throws {Error} naming the servers when the first connection fails (later
 * outages are reconnected, never thrown).
 * @example
 * ```ts
 * const bus = await createNatsBus({ servers: 'nats://127.0.0.1:4222', prefix: 'prod', name: 'node-1' });
 * const off = bus.subscribe(userTopic(appKey, userId), (m) => deliver(m));
 * bus.publish({ topic: userTopic(appKey, 'bob'), payload });
 * ```
 */
export async function createNatsBus(options: NatsBusOptions): Promise<Bus> {
  const root = subjectRoot(options.prefix ?? 'default');
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
    });
  } catch (cause) {
    throw new Error(`NATS at ${servers.join(', ')} is unreachable: ${String(cause)}`, { cause });
  }
  const topics = new Map<string, Topic>();
  let closed = false;

  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'ping' || s.type === 'slowConsumer') continue;
      const detail = 'server' in s ? s.server : 'error' in s ? String(s.error) : undefined;
      options.onStatus?.(detail === undefined ? { type: s.type } : { type: s.type, detail });
    }
  })();

  const deliver = (topic: string, set: Set<BusHandler>, payload: Uint8Array, hdrs: MsgHdrs | undefined): void => {
    const skip = hdrs?.get(SKIP_HEADER);
    const message: BusMessage = skip ? { topic, payload, skipConnection: skip } : { topic, payload };
    for (const h of set) h(message);
  };

  return {
    subscribe(topic: string, handler: BusHandler): () => void {
      // A distinct wrapper per call, so subscribing one function twice needs two unsubscribes.
      const h: BusHandler = (m) => handler(m);
      if (closed) return () => undefined;
      let t = topics.get(topic);
      if (t === undefined) {
        const handlers = new Set<BusHandler>();
        const sub = nc.subscribe(topicSubject(root, topic), {
          callback: (err, msg) => {
            if (err === null) deliver(topic, handlers, msg.data, msg.headers);
          },
        });
        topics.set(topic, (t = { sub, handlers }));
      }
      t.handlers.add(h);
      const entry = t;
      return () => {
        if (!entry.handlers.delete(h) || entry.handlers.size > 0) return;
        if (topics.get(topic) === entry) topics.delete(topic);
        if (!closed) entry.sub.unsubscribe();
      };
    },

    publish(message: BusMessage): void {
      if (closed) return;
      let hdrs: MsgHdrs | undefined;
      if (message.skipConnection !== undefined) {
        hdrs = headers();
        hdrs.set(SKIP_HEADER, message.skipConnection);
      }
      try {
        nc.publish(topicSubject(root, message.topic), message.payload, hdrs ? { headers: hdrs } : undefined);
      } catch (err) {
        // At-most-once: a publish the client refuses (closing, oversized) is a lost message, not a crash.
        options.onStatus?.({ type: 'publishError', detail: String(err) });
      }
    },

    respond(topic, responder) {
      if (closed) return () => undefined;
      const sub = nc.subscribe(topicSubject(root, topic), {
        callback: (err, msg) => {
          if (err !== null) return;
          void (async () => responder(msg.data))().then(
            (reply) => msg.respond(reply),
            (cause: unknown) => {
              const h = headers();
              h.set(FAILED_HEADER, String(cause).slice(0, 200));
              msg.respond(new Uint8Array(0), { headers: h });
            },
          );
        },
      });
      return () => {
        if (!closed) sub.unsubscribe();
      };
    },

    async request(topic, payload, timeoutMs) {
      if (closed) throw new BusRequestError('closed', topic);
      try {
        const reply = await nc.request(topicSubject(root, topic), payload, { timeout: timeoutMs });
        if (reply.headers?.has(FAILED_HEADER)) throw new BusRequestError('failed', topic, { cause: reply.headers.get(FAILED_HEADER) });
        return reply.data;
      } catch (err) {
        if (err instanceof BusRequestError) throw err;
        if (err instanceof RequestError && err.isNoResponders()) throw new BusRequestError('no_responders', topic, { cause: err });
        if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) throw new BusRequestError('timeout', topic, { cause: err });
        throw new BusRequestError(closed || nc.isClosed() ? 'closed' : 'failed', topic, { cause: err });
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      topics.clear();
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
