import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The node's metrics, in a registry of its own (never the global one). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tidings_process_' });
  return {
    registry,
    stored: new Counter({ name: 'tidings_messages_stored_total', help: 'Messages committed.', registers: [registry] }),
    busPublished: new Counter({ name: 'tidings_bus_published_total', help: 'Pushes this node published on the bus.', registers: [registry] }),
    busReceived: new Counter({
      name: 'tidings_bus_received_total',
      help: 'Pushes the bus delivered to this node (only for users it holds).',
      registers: [registry],
    }),
    connections: new Gauge({ name: 'tidings_connections', help: 'Open authenticated connections.', registers: [registry] }),
    rejected: new Counter({
      name: 'tidings_rejected_total',
      help: 'Connections and frames refused, by error code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    batch: new Histogram({
      name: 'tidings_commit_batch_size',
      help: 'Sends per group commit.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    }),
    commitMs: new Histogram({
      name: 'tidings_commit_duration_ms',
      help: 'Duration of a group commit.',
      buckets: [0.5, 1, 2, 5, 10, 20, 50, 100, 500],
      registers: [registry],
    }),
  };
}

/** The node's metrics. */
export type Metrics = ReturnType<typeof createMetrics>;
