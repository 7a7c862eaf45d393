import { startServer, type ServerHandle } from '@tidings/testkit';
import pg from 'pg';
import { POSTGRES_URL, adminQuery, dropSchema, freshSchemaName } from '../../src/storage/postgres/pg.fixture.ts';
import { NATS_URL, freshPrefix, requireNats } from '../../src/bus/nats/nats.fixture.ts';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  readonly nodes: number;
  /** PostgreSQL URL per node (e.g. through a fault proxy); the shared test database by default. */
  readonly postgresUrl?: (node: number) => string;
  /** NATS URL per node (e.g. a private server, or a fault proxy); the shared server by default. */
  readonly natsUrl?: (node: number) => string;
  /** The database the schema lives in, for set-up, checks and clean-up (the shared test database by default). */
  readonly adminUrl?: string;
  /** Extra environment for every node. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Real cluster nodes as child processes (kill -9, SIGSTOP, restart) on one
 * fresh PostgreSQL schema and one fresh NATS prefix, dropped by `cleanup()`.
 * Node 1 starts first (it migrates the schema); the rest start at once.
 */
export async function startCluster(o: ClusterOptions) {
  const adminUrl = o.adminUrl ?? POSTGRES_URL;
  await adminQuery('SELECT 1', adminUrl);
  await requireNats();
  const schema = freshSchemaName();
  const prefix = freshPrefix();
  const nodes: ServerHandle[] = [];
  const start = (i: number) =>
    startServer({
      env: {
        TIDINGS_CLUSTER: '1',
        TIDINGS_NODE_ID: String(i),
        TIDINGS_POSTGRES_URL: o.postgresUrl?.(i) ?? adminUrl,
        TIDINGS_POSTGRES_SCHEMA: schema,
        TIDINGS_POSTGRES_IDLE_TX_TIMEOUT_MS: '2000',
        TIDINGS_NATS_URL: o.natsUrl?.(i) ?? NATS_URL,
        TIDINGS_NATS_PREFIX: prefix,
        TIDINGS_LOG_LEVEL: 'warn',
        TIDINGS_PING_INTERVAL_MS: '1000',
        TIDINGS_HEARTBEAT_TIMEOUT_MS: '3000',
        ...o.env,
      },
    });
  const cleanup = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.cleanup()));
    await dropSchema(schema, adminUrl);
  };
  try {
    nodes.push(await start(1));
    nodes.push(...(await Promise.all(Array.from({ length: o.nodes - 1 }, (_, i) => start(i + 2)))));
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    nodes,
    schema,
    /** The NATS subject prefix of this cluster (a test may watch the bus with its own connection). */
    prefix,
    /** The development app (one for the whole cluster). */
    get devApp() {
      return nodes[0]!.devApp;
    },
    /** Every node's server key (each node has its own, in its data dir): SDK clients pin them all. */
    serverKeys: (): string[] => nodes.map((n) => n.serverKey),
    /** Every node's WebSocket URL, read now (a restart may change a port). */
    urls: (): string[] => nodes.map((n) => n.wsUrl),
    /** Stored messages per conversation as [count, max seq, distinct seqs, distinct msgIds], straight from PostgreSQL. */
    async storedSeqs(): Promise<Map<string, [number, number, number, number]>> {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT conv_id, count(*)::int AS n, max(seq)::int AS max, count(DISTINCT seq)::int AS seqs, count(DISTINCT msg_id)::int AS ids
           FROM ${schema}.messages GROUP BY conv_id`,
        );
        return new Map(rows.map((r: { conv_id: string; n: number; max: number; seqs: number; ids: number }) => [r.conv_id, [r.n, r.max, r.seqs, r.ids]]));
      } finally {
        await client.end();
      }
    },
    cleanup,
  };
}

/** A started cluster. */
export type Cluster = Awaited<ReturnType<typeof startCluster>>;
