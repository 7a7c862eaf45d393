/**
 * The one configuration schema. Defaults < file < environment (TIDINGS_*) <
 * flags; validated once at start, then frozen and passed down.
 */

/** Validated server configuration. */
export interface Config {
  readonly mode: 'development' | 'production';
  readonly host: string;
  readonly port: number;
  /** Directory for the embedded SQLite database and runtime.json. */
  readonly dataDir: string;
  /** Identifies this process in logs, welcome frames and message ids (0-1023). */
  readonly nodeId: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly maxFrameBytes: number;
  readonly maxContentBytes: number;
  /** Interval clients ping at; the server pings each socket at the same interval. */
  readonly pingIntervalMs: number;
  /** A socket silent for this long is closed with conn.heartbeat_timeout. */
  readonly heartbeatTimeoutMs: number;
  /** Unsent bytes a socket may hold before it is closed as a slow consumer. */
  readonly sendBufferBytes: number;
  /** Largest group-commit batch. */
  readonly commitBatchMax: number;
  /** A group-commit batch waits this long for more sends (ms) unless full; -1: 2 ms on PostgreSQL, none on SQLite. */
  readonly commitLingerMs: number;
  /** Sends waiting for a commit before new ones get server.overloaded. */
  readonly commitQueueMax: number;
  readonly sqliteSynchronous: 'normal' | 'full';
  /** How long a graceful shutdown may take before sockets are cut. */
  readonly shutdownGraceMs: number;
  /**
   * Bearer credential of the operator routes (/v1/admin: apps). Empty in
   * development means "generate one per start" (written to runtime.json);
   * production refuses to start without a strong one.
   */
  readonly operatorToken: string;
  /**
   * Secure session on client connections (docs/protocol.md): `required`
   * refuses plaintext clients (security.required), `optional` accepts both,
   * `off` accepts plaintext only.
   */
  readonly secureSession: 'required' | 'optional' | 'off';
  /** PKCS#8 PEM of the long-term Ed25519 key; empty: `<dataDir>/server-key.pem`, generated on first start. */
  readonly serverKeyFile: string;
  /** A secure connection not authenticated within this time is closed (security.handshake_failed). */
  readonly handshakeTimeoutMs: number;
  /** PEM certificate chain: with tlsKey, the node serves HTTPS and wss://. */
  readonly tlsCert: string;
  /** PEM private key of tlsCert. */
  readonly tlsKey: string;
  /**
   * Base64 of 32 random bytes: wraps the per-app data keys that encrypt message
   * content at rest. Empty: generated into the data dir (embedded development),
   * off (cluster development), refused (production).
   */
  readonly masterKey: string;
  /** WebSocket upgrades per second per client IP (burst twice that); 0: unlimited. */
  readonly rateConnectsPerIp: number;
  /** Messages per second per connection, per user and per app (bursts twice that); 0: unlimited. */
  readonly rateMessagesPerConnection: number;
  readonly rateMessagesPerUser: number;
  readonly rateMessagesPerApp: number;
  /** Other requests (sync, pull, conversation operations) per second per connection. */
  readonly rateRequestsPerConnection: number;
  /** Signed server API calls per second per app. */
  readonly rateApiCallsPerApp: number;
  /** Open connections per user on one node; 0: no cap. */
  readonly maxConnectionsPerUser: number;
  /**
   * 1 runs the node in cluster mode: PostgreSQL is the system of record and
   * NATS routes pushes between nodes; 0 is the embedded mode (SQLite, in-process bus).
   */
  readonly cluster: number;
  /** PostgreSQL connection URL (cluster mode). */
  readonly postgresUrl: string;
  /** PostgreSQL schema holding the tables; created and migrated when missing. */
  readonly postgresSchema: string;
  /** Connections in this node's PostgreSQL pool. */
  readonly postgresPoolSize: number;
  /**
   * A transaction left idle this long (its node paused or cut off) is ended
   * by PostgreSQL, releasing its row locks so other nodes go on.
   */
  readonly postgresIdleTxTimeoutMs: number;
  /** NATS server URL(s), comma-separated (cluster mode). */
  readonly natsUrl: string;
  /** Isolates deployments sharing a NATS server. */
  readonly natsPrefix: string;
  /** How often a cluster node renews its presence row, ms. */
  readonly presenceHeartbeatMs: number;
  /** A cluster node silent this long is removed, and its users no longer count as online, ms. */
  readonly presenceTtlMs: number;
  /** Chatroom owner lease, ms: a dead owner node's rooms move to another node after about this long. */
  readonly roomLeaseMs: number;
  /**
   * 1: each conversation's commits go to one owner node (over the bus), so
   * nodes do not take turns on its row locks; a performance measure only.
   */
  readonly commitAffinity: number;
  /** Webhook deliveries in flight at once on this node. */
  readonly webhookConcurrency: number;
  /** How often the webhook outbox is polled for due retries. */
  readonly webhookPollMs: number;
  /** How long a node holds a claimed callback; after a crash it is retried this late. Caps the delivery timeout. */
  readonly webhookLeaseMs: number;
  /** Delay before the first webhook retry (doubling, with jitter). */
  readonly webhookRetryBaseMs: number;
  /** Largest delay between webhook retries. */
  readonly webhookRetryMaxMs: number;
  /** Webhook settings changed on another node apply here within this long. */
  readonly webhookSettingsTtlMs: number;
  /** A user deleted through another node is refused here within this long, should the bus lose the news. */
  readonly deletedUsersRefreshMs: number;
}

type Kind = 'string' | 'int' | 'enum';
interface Field {
  readonly kind: Kind;
  readonly default: string | number;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly doc: string;
}

/** Every setting: its type, default, bounds and meaning. */
export const SCHEMA: Readonly<Record<keyof Config, Field>> = {
  mode: { kind: 'enum', default: 'development', values: ['development', 'production'], doc: 'Development prints credentials.' },
  host: { kind: 'string', default: '127.0.0.1', doc: 'Address to listen on.' },
  port: { kind: 'int', default: 7600, min: 0, max: 65535, doc: 'Port for WebSocket and HTTP (0 picks a free one).' },
  dataDir: { kind: 'string', default: '.tidings', doc: 'Data directory of the embedded mode.' },
  nodeId: { kind: 'int', default: 0, min: 0, max: 1023, doc: 'Node number within a cluster.' },
  logLevel: {
    kind: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Log level.',
  },
  maxFrameBytes: { kind: 'int', default: 64 * 1024, min: 1024, max: 16 * 1024 * 1024, doc: 'Hard limit on one frame.' },
  maxContentBytes: { kind: 'int', default: 32 * 1024, min: 1, max: 16 * 1024 * 1024, doc: 'Limit on one message content.' },
  pingIntervalMs: { kind: 'int', default: 25_000, min: 100, max: 600_000, doc: 'Heartbeat interval.' },
  heartbeatTimeoutMs: { kind: 'int', default: 60_000, min: 200, max: 3_600_000, doc: 'Silence before a socket is closed.' },
  sendBufferBytes: { kind: 'int', default: 4 * 1024 * 1024, min: 64 * 1024, max: 1024 ** 3, doc: 'Slow consumer limit.' },
  commitBatchMax: { kind: 'int', default: 1000, min: 1, max: 100_000, doc: 'Largest group-commit batch.' },
  commitLingerMs: {
    kind: 'int',
    default: -1,
    min: -1,
    max: 1000,
    doc: 'A commit batch waits this long (ms) for more sends unless full; -1: 2 on PostgreSQL (fewer, larger transactions: -10 to -25% CPU per message), 0 on SQLite.',
  },
  commitQueueMax: { kind: 'int', default: 50_000, min: 1, max: 10_000_000, doc: 'Pending sends before overload.' },
  sqliteSynchronous: {
    kind: 'enum',
    default: 'normal',
    values: ['normal', 'full'],
    doc: 'normal survives a process crash; full also survives power loss.',
  },
  shutdownGraceMs: { kind: 'int', default: 5_000, min: 0, max: 600_000, doc: 'Graceful shutdown limit.' },
  operatorToken: { kind: 'string', default: '', doc: 'Operator credential for /v1/admin (at least 32 characters in production).' },
  secureSession: {
    kind: 'enum',
    default: 'required',
    values: ['required', 'optional', 'off'],
    doc: 'Secure session on client connections: required, optional (plaintext allowed) or off.',
  },
  serverKeyFile: { kind: 'string', default: '', doc: 'Ed25519 private key (PKCS#8 PEM); empty: generated in the data dir.' },
  handshakeTimeoutMs: { kind: 'int', default: 10_000, min: 100, max: 600_000, doc: 'Time to finish the secure handshake and authenticate.' },
  tlsCert: { kind: 'string', default: '', doc: 'PEM certificate file; with tlsKey, serve HTTPS and wss://.' },
  tlsKey: { kind: 'string', default: '', doc: 'PEM private key file of tlsCert.' },
  masterKey: { kind: 'string', default: '', doc: 'Base64 32-byte master key for encryption at rest (openssl rand -base64 32).' },
  rateConnectsPerIp: { kind: 'int', default: 100, min: 0, max: 1_000_000, doc: 'WebSocket upgrades per second per IP.' },
  rateMessagesPerConnection: { kind: 'int', default: 1000, min: 0, max: 10_000_000, doc: 'Messages per second per connection.' },
  rateMessagesPerUser: { kind: 'int', default: 2000, min: 0, max: 10_000_000, doc: 'Messages per second per user.' },
  rateMessagesPerApp: { kind: 'int', default: 0, min: 0, max: 100_000_000, doc: 'Messages per second per app (quota); 0: unlimited.' },
  rateRequestsPerConnection: { kind: 'int', default: 500, min: 0, max: 10_000_000, doc: 'Sync, pull and conversation requests per second per connection.' },
  rateApiCallsPerApp: { kind: 'int', default: 2000, min: 0, max: 10_000_000, doc: 'Server API calls per second per app.' },
  maxConnectionsPerUser: { kind: 'int', default: 50, min: 0, max: 1_000_000, doc: 'Open connections per user on one node.' },
  cluster: { kind: 'int', default: 0, min: 0, max: 1, doc: '1: cluster mode on PostgreSQL and NATS; 0: embedded.' },
  postgresUrl: { kind: 'string', default: 'postgres://postgres@127.0.0.1:5432/tidings', doc: 'PostgreSQL URL (cluster mode).' },
  postgresSchema: { kind: 'string', default: 'tidings', doc: 'PostgreSQL schema (cluster mode).' },
  postgresPoolSize: { kind: 'int', default: 10, min: 1, max: 1000, doc: 'PostgreSQL connections per node.' },
  postgresIdleTxTimeoutMs: {
    kind: 'int',
    default: 5_000,
    min: 100,
    max: 3_600_000,
    doc: 'A paused node\'s open transaction is ended by PostgreSQL after this long.',
  },
  natsUrl: { kind: 'string', default: 'nats://127.0.0.1:4222', doc: 'NATS server URL(s), comma-separated (cluster mode).' },
  natsPrefix: { kind: 'string', default: 'default', doc: 'Subject prefix isolating deployments on one NATS server.' },
  presenceHeartbeatMs: { kind: 'int', default: 5_000, min: 50, max: 600_000, doc: 'Cluster node heartbeat interval.' },
  presenceTtlMs: { kind: 'int', default: 20_000, min: 150, max: 3_600_000, doc: 'Silence after which a cluster node is removed.' },
  roomLeaseMs: { kind: 'int', default: 3_000, min: 300, max: 600_000, doc: "Chatroom owner lease; renewed every third of it. A dead owner's rooms move after about this long." },
  commitAffinity: { kind: 'int', default: 0, min: 0, max: 1, doc: '1: commit each conversation on one owner node (cluster mode); see docs/cluster.md.' },
  webhookConcurrency: { kind: 'int', default: 64, min: 1, max: 10_000, doc: 'Webhook deliveries in flight per node.' },
  webhookPollMs: { kind: 'int', default: 500, min: 10, max: 60_000, doc: 'Webhook outbox poll interval.' },
  webhookLeaseMs: { kind: 'int', default: 60_000, min: 1_000, max: 3_600_000, doc: 'Lease of a claimed webhook callback.' },
  webhookRetryBaseMs: { kind: 'int', default: 1_000, min: 1, max: 3_600_000, doc: 'First webhook retry delay.' },
  webhookRetryMaxMs: { kind: 'int', default: 600_000, min: 1, max: 86_400_000, doc: 'Largest webhook retry delay.' },
  webhookSettingsTtlMs: { kind: 'int', default: 2_000, min: 0, max: 3_600_000, doc: 'Cache time of webhook settings.' },
  deletedUsersRefreshMs: { kind: 'int', default: 5_000, min: 100, max: 3_600_000, doc: 'Reload period of the deleted users (heals a lost bus message).' },
};

/** Environment variable of a setting: dataDir -> TIDINGS_DATA_DIR. */
export function envName(key: string): string {
  return 'TIDINGS_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}
