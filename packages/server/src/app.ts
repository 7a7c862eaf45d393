import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/schema.ts';
import type { Logger } from './log/logger.ts';
import { verifyUserToken } from './auth/tokens.ts';
import { newApp } from './auth/credentials.ts';
import type { AppRecord, Store } from './storage/port.ts';
import { createSqliteStore } from './storage/sqlite/store.ts';
import type { Bus } from './bus/port.ts';
import { createLocalBus } from './bus/local/local-bus.ts';
import { createPostgresStore } from './storage/postgres/index.ts';
import { createNatsBus } from './bus/nats/index.ts';
import type { Presence } from './presence/port.ts';
import { createLocalPresence } from './presence/local.ts';
import { createPostgresPresence } from './presence/postgres/presence.ts';
import { createCommitQueue } from './services/commit-queue.ts';
import { createCommitAffinity } from './services/commit-affinity.ts';
import type { Router } from './router/router.ts';
import { createMessaging } from './services/messaging.ts';
import { createGroups } from './services/groups.ts';
import { createRooms } from './services/rooms/rooms.ts';
import { createMsgIdGenerator } from './services/msg-id.ts';
import { createRouter } from './router/router.ts';
import { createWebhooks } from './services/webhooks/webhooks.ts';
import { createGateway, type Gateway } from './gateway/gateway.ts';
import { createMetrics } from './http/metrics.ts';
import { createHttpServer } from './http/http-server.ts';
import { createApi } from './api/api.ts';
import { assertProductionSecrets } from './config/secrets.ts';
import { loadServerKey } from './secure/server-key.ts';
import { createUserState } from './services/user-state.ts';
import { tlsOf } from './http/tls.ts';
import { loadMasterKey } from './crypto/master-key.ts';
import { createAbuseLimits } from './limits/abuse.ts';

/** What a running node tells its operator (also written to `<dataDir>/runtime.json`). */
export interface RuntimeInfo {
  readonly pid: number;
  readonly port: number;
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly nodeId: string;
  /** The development app, in development mode only. */
  readonly devApp?: Pick<AppRecord, 'appKey' | 'appSecret' | 'tokenKey'>;
  /** The operator credential generated for this run, in development mode without a configured one. */
  readonly operatorToken?: string;
  /** The long-term Ed25519 public key (base64url) that signs secure-session handshakes: clients pin it (`serverKey`). */
  readonly serverKey: string;
  /** The secure-session setting in force. */
  readonly secureSession: Config['secureSession'];
}

/** A running Tidings node. */
export interface TidingsNode {
  readonly info: RuntimeInfo;
  readonly store: Store;
  /** Graceful shutdown: refuse new work, commit and ack what is queued, close sockets, close storage. */
  close(): Promise<void>;
}

/** Adapters a node runs on; the embedded defaults when omitted. */
export interface NodeAdapters {
  readonly store?: Store;
  readonly bus?: Bus;
}

/** Key of the development app, fixed so that nodes starting at once create it only once. */
const DEV_APP_KEY = 'app_dev';
/** Listen backlog (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 16_384;

/**
 * Finds or creates the development app, so a newcomer can connect at once.
 * Race-safe: when several cluster nodes start together, one creation wins
 * and the others read it back.
 */
async function ensureDevApp(store: Store): Promise<AppRecord> {
  const apps = await store.listApps();
  const existing = apps.find((a) => a.name === 'dev');
  if (existing) return existing;
  const app = { ...newApp('dev'), appKey: DEV_APP_KEY };
  try {
    await store.createApp(app);
    return app;
  } catch (err) {
    const winner = await store.getApp(DEV_APP_KEY);
    if (winner) return winner;
    throw err;
  }
}

/** The storage this node runs on: the config's cluster store, or embedded SQLite in the data dir. */
async function openStore(config: Config, log: Logger): Promise<Store> {
  const master = loadMasterKey({ configured: config.masterKey, dataDir: config.dataDir, cluster: config.cluster === 1, production: config.mode === 'production' });
  if (master.source === 'off') log.warn('encryption at rest is off: set masterKey (the same on every node) to turn it on');
  const masterKey = master.key ? { masterKey: master.key } : {};
  if (config.cluster !== 1) return createSqliteStore({ path: join(config.dataDir, 'tidings.db'), synchronous: config.sqliteSynchronous, ...masterKey });
  const storeLog = log.child({ component: 'postgres' });
  return createPostgresStore({
    url: config.postgresUrl,
    schema: config.postgresSchema,
    poolSize: config.postgresPoolSize,
    idleInTransactionTimeoutMs: config.postgresIdleTxTimeoutMs,
    ...masterKey,
    onError: (err) => storeLog.warn({ err: err.message }, 'idle connection failed'),
  });
}

/** The bus this node runs on: NATS in cluster mode, else in-process. */
async function openBus(config: Config, log: Logger, nodeId: string): Promise<Bus> {
  if (config.cluster !== 1) return createLocalBus();
  const busLog = log.child({ component: 'nats' });
  return createNatsBus({
    servers: config.natsUrl.split(',').map((s) => s.trim()),
    prefix: config.natsPrefix,
    name: nodeId,
    reconnectTimeWaitMs: 250,
    onStatus: (s) => busLog.info({ status: s.type, detail: s.detail }, 'bus status'),
  });
}

/** The bus with a count of what this node publishes and receives. */
function countedBus(bus: Bus, published: () => void, received: () => void): Bus {
  return {
    subscribe: (topic, handler) =>
      bus.subscribe(topic, (m) => {
        received();
        handler(m);
      }),
    publish: (m) => {
      published();
      bus.publish(m);
    },
    // Requests are not pushes: uncounted.
    respond: (topic, responder) => bus.respond(topic, responder),
    request: (topic, payload, timeoutMs) => bus.request(topic, payload, timeoutMs),
    close: () => bus.close(),
  };
}

/** Who is online: PostgreSQL rows kept alive by node heartbeats in cluster mode, else this node's router. */
async function openPresence(config: Config, log: Logger, nodeId: string, isLocal: (appKey: string, userId: string) => boolean): Promise<Presence> {
  if (config.cluster !== 1) return createLocalPresence(isLocal);
  const presenceLog = log.child({ component: 'presence' });
  return createPostgresPresence({
    url: config.postgresUrl,
    schema: config.postgresSchema,
    nodeId,
    heartbeatMs: config.presenceHeartbeatMs,
    ttlMs: config.presenceTtlMs,
    onError: (err) => presenceLog.warn({ err: String(err) }, 'presence write failed; the next heartbeat rewrites it'),
  });
}

/**
 * Starts one node: the only place that names concrete adapters.
 *
 * @example
 * ```ts
 * const node = await startNode(loadConfig({ overrides: { port: 0, dataDir: './data' } }), createLogger('info'));
 * console.log(node.info.wsUrl);
 * await node.close();
 * ```
 */
export async function startNode(config: Config, log: Logger, adapters: NodeAdapters = {}): Promise<TidingsNode> {
  mkdirSync(config.dataDir, { recursive: true });
  const serverKey = loadServerKey(config.serverKeyFile, config.dataDir);
  const nodeId = `n${config.nodeId}`;
  const store = adapters.store ?? (await openStore(config, log));
  if (config.mode === 'production') {
    try {
      assertProductionSecrets(config.operatorToken, await store.listApps());
    } catch (err) {
      if (!adapters.store) await store.close();
      throw err;
    }
  }
  // Development without a configured credential gets a fresh one per run, written to runtime.json.
  const generatedOperatorToken = config.operatorToken === '' && config.mode === 'development' ? randomBytes(24).toString('base64url') : undefined;
  const operatorToken = generatedOperatorToken ?? config.operatorToken;
  let rawBus: Bus;
  try {
    rawBus = adapters.bus ?? (await openBus(config, log, nodeId));
  } catch (err) {
    if (!adapters.store) await store.close();
    throw err;
  }
  const metrics = createMetrics();
  const now = Date.now;
  // Counted, so an operator (and a test) can see that pushes reach only nodes holding a recipient.
  const bus = countedBus(rawBus, () => metrics.busPublished.inc(), () => metrics.busReceived.inc());
  // The router is built later (it needs the presence listener); presence asks it through this.
  const late: { router?: Router; gateway?: Gateway } = {};
  let presence: Presence;
  try {
    presence = await openPresence(config, log, nodeId, (a, u) => late.router?.isLocal(a, u) ?? false);
  } catch (err) {
    await bus.close();
    if (!adapters.store) await store.close();
    throw err;
  }
  const online = presence;
  const members = online.members?.bind(online);
  // The group commit of this node. With affinity it takes the conversations this node owns; the rest go to their owners.
  const owned = createCommitQueue({
    store,
    batchMax: config.commitBatchMax,
    // Each PostgreSQL commit costs round trips and a WAL flush whatever its size (measured in bench/RESULTS.md, cluster).
    lingerMs: config.commitLingerMs >= 0 ? config.commitLingerMs : config.cluster === 1 ? 2 : 0,
    queueMax: config.commitQueueMax,
    onBatch: (size, ms) => {
      metrics.batch.observe(size);
      metrics.commitMs.observe(ms);
    },
  });
  const affinity =
    config.cluster === 1 && config.commitAffinity === 1 && members && online.self
      ? createCommitAffinity({
          // Uncounted: the bus counters are about pushes.
          bus: rawBus,
          self: online.self,
          members,
          owned,
          timeoutMs: 1000,
          queueMax: config.commitQueueMax,
          log: log.child({ component: 'affinity' }),
        })
      : undefined;
  const commits = affinity ?? owned;
  const webhooks = createWebhooks({
    store,
    log: log.child({ component: 'webhooks' }),
    now,
    nodeId,
    concurrency: config.webhookConcurrency,
    pollMs: config.webhookPollMs,
    leaseMs: config.webhookLeaseMs,
    retryBaseMs: config.webhookRetryBaseMs,
    retryMaxMs: config.webhookRetryMaxMs,
    settingsTtlMs: config.webhookSettingsTtlMs,
  });
  // Deleted users and connection closes, shared by every node; the gateway is bound late.
  const users = createUserState({
    store,
    bus,
    log: log.child({ component: 'users' }),
    closeLocal: (appKey, userId, code) => late.gateway?.closeUser(appKey, userId, code),
    refreshMs: config.deletedUsersRefreshMs,
  });
  await users.start();
  const messaging = createMessaging({
    store,
    bus,
    commits,
    isDeleted: users.isDeleted,
    gate: webhooks.gate,
    onWebhookQueued: webhooks.delivery.kick,
    log: log.child({ component: 'messaging' }),
    newMsgId: createMsgIdGenerator(config.nodeId),
    now,
    onStored: () => metrics.stored.inc(),
    limits: {
      maxContentBytes: config.maxContentBytes,
      maxPullBytes: Math.floor(config.maxFrameBytes * 0.75),
      maxPullMessages: 500,
      maxSyncEntries: 500,
    },
  });
  const groups = createGroups({ store, sends: messaging.paths, now });
  // Each chatroom lives in memory on its owner node (a fenced lease in storage; one node owns all of them when embedded).
  // Defaults until an app sets its policy (PUT /v1/chatrooms/policy).
  const rooms = createRooms({
    log: log.child({ component: 'rooms' }),
    now,
    newMsgId: ((ids) => () => `r${ids()}`)(createMsgIdGenerator(config.nodeId)),
    maxContentBytes: config.maxContentBytes,
    policy: { windowSize: 1000, joinRecent: 50, ratePerSecond: 1000, burst: 1000 },
    bus,
    store: store.rooms,
    self: online.self ?? `${nodeId}-${randomBytes(6).toString('hex')}`,
    leaseTtlMs: config.roomLeaseMs,
    ...(members ? { liveNodes: members } : {}),
  });
  messaging.bind({ groups, rooms });
  const router = createRouter(bus, (appKey, userId, isOnline) => {
    webhooks.status.changed(appKey, userId, isOnline);
    online.changed(appKey, userId, isOnline);
  });
  late.router = router;
  let healthy = true;
  const rate = (perSecond: number) => ({ perSecond, burst: perSecond * 2 });
  const limits = createAbuseLimits({
    connectsPerIp: rate(config.rateConnectsPerIp),
    messagesPerConnection: rate(config.rateMessagesPerConnection),
    messagesPerUser: rate(config.rateMessagesPerUser),
    messagesPerApp: rate(config.rateMessagesPerApp),
    requestsPerConnection: rate(config.rateRequestsPerConnection),
    apiCallsPerApp: rate(config.rateApiCallsPerApp),
    maxConnectionsPerUser: config.maxConnectionsPerUser,
  });
  let server!: Server;
  await createApi(
    {
      store,
      sends: messaging.paths,
      groups,
      rooms,
      webhooks,
      router,
      limits,
      isOnline: (appKey, userId) => online.isOnline(appKey, userId),
      log: log.child({ component: 'api' }),
      now,
      operatorToken,
      maxContentBytes: config.maxContentBytes,
      serverKey: serverKey.publicKeyText,
      users,
    },
    (handler) => (server = createHttpServer(metrics, () => healthy, handler, tlsOf(config))),
  );
  const gateway = createGateway({
    server,
    path: '/ws',
    nodeId,
    verify: (token) => verifyUserToken(token, (k) => store.getApp(k), now(), (k, u) => store.getUser(k, u)),
    router,
    messaging,
    log: log.child({ component: 'gateway' }),
    maxFrameBytes: config.maxFrameBytes,
    sendBufferBytes: config.sendBufferBytes,
    pingIntervalMs: config.pingIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    now,
    onConnections: (n) => metrics.connections.set(n),
    onRejected: (code) => metrics.rejected.inc({ code }),
    security: { mode: config.secureSession, key: serverKey, handshakeTimeoutMs: config.handshakeTimeoutMs },
    limits,
  });
  late.gateway = gateway;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: a reconnect storm's SYNs wait in the kernel instead of being dropped (and retried seconds later).
    server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const devApp = config.mode === 'development' ? await ensureDevApp(store) : undefined;
  const info: RuntimeInfo = {
    pid: process.pid,
    port,
    wsUrl: `${config.tlsCert ? 'wss' : 'ws'}://${host}:${port}/ws`,
    httpUrl: `${config.tlsCert ? 'https' : 'http'}://${host}:${port}`,
    nodeId,
    ...(devApp ? { devApp: { appKey: devApp.appKey, appSecret: devApp.appSecret, tokenKey: devApp.tokenKey } } : {}),
    ...(generatedOperatorToken ? { operatorToken: generatedOperatorToken } : {}),
    serverKey: serverKey.publicKeyText,
    secureSession: config.secureSession,
  };
  const runtimeFile = join(config.dataDir, 'runtime.json');
  writeFileSync(runtimeFile + '.tmp', JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(runtimeFile + '.tmp', runtimeFile);
  log.info({ wsUrl: info.wsUrl, nodeId, dataDir: config.dataDir, serverKey: info.serverKey, secureSession: config.secureSession }, 'listening');
  if (serverKey.generated) log.info({ path: serverKey.path }, 'generated the server key');
  webhooks.start();

  let closing: Promise<void> | undefined;
  return {
    info,
    store,
    close() {
      closing ??= (async () => {
        healthy = false;
        log.info('shutting down');
        gateway.stopAccepting();
        const grace = new Promise<void>((r) => setTimeout(r, config.shutdownGraceMs).unref());
        await Promise.race([messaging.drain(), grace]);
        await gateway.close('server.shutting_down');
        await new Promise<void>((r) => server.close(() => r()));
        affinity?.close();
        await rooms.close();
        users.close();
        await online.close();
        await bus.close();
        await webhooks.close();
        await store.close();
        log.info('stopped');
      })();
      return closing;
    },
  };
}
