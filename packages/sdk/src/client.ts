import { parseServerKey, SECURE_SUBPROTOCOL, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, TidingsError, type ConvResult, codeForClose, isErrorCode, isResumableClose, type ErrorCode, type SendAck, type Welcome } from '@tidings/protocol';
import { Backoff } from './backoff.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { DeliveryAcks } from './delivery-acks.ts';
import { Emitter } from './emitter.ts';
import { ClientError, type SdkError } from './errors.ts';
import { createMemoryStore } from './memory-store.ts';
import { toNumber, type Message } from './message.ts';
import type { ClientOptions, ClientState, SendInput, SendResult } from './options.ts';
import { Outbox } from './outbox.ts';
import { Session, type SessionContext } from './session.ts';
import type { ClientStore, OutboxEntry } from './store.ts';
import { SyncPlanner } from './sync-planner.ts';
import { ConversationTracker } from './tracker.ts';
import { globalWebSocketFactory, type WebSocketLike } from './transport.ts';
import { SecureSocket } from './secure-socket.ts';

const SDK_NAME = '@tidings/sdk';
const SDK_VERSION = '0.1.0';
import { GroupsManager } from './groups.ts';
import { RoomsManager } from './rooms.ts';

/** Events of a {@link TidingsClient}. */
/** A message accepted into the outbox, not yet acked. */
export interface QueuedMessage {
  readonly convId: string;
  readonly clientMsgId: string;
  readonly senderSeq: number;
}

/** Events of a {@link TidingsClient}. */
export interface ClientEvents {
  /** A message, surfaced exactly once, in seq order per conversation. */
  message: Message;
  /** A send entered the durable outbox (the app can show it as "sending"). */
  queued: QueuedMessage;
  /** The server committed one of this device's messages. */
  ack: SendResult;
  state: ClientState;
  error: SdkError;
}

const MAX_AUTH_RETRIES = 3;

/**
 * The server keys a client accepts. A secure session without any is refused
 * unless the app explicitly opted out (`insecureUnpinnedServerKey`, for
 * development): an unauthenticated key agreement stops only passive readers.
 */
function pinnedKeys(o: ClientOptions): readonly Uint8Array[] | undefined {
  const texts = o.serverKey === undefined ? [] : typeof o.serverKey === 'string' ? [o.serverKey] : o.serverKey;
  const keys = texts.map((t) => {
    const key = parseServerKey(t);
    if (!key) throw new TypeError('serverKey must be a 32-byte Ed25519 public key in base64 or base64url');
    return key;
  });
  if (keys.length > 0) return keys;
  if (o.secure === false || o.insecureUnpinnedServerKey === true) return undefined;
  throw new ClientError(
    'client.server_key_required',
    "serverKey is required: pass the server's public key (tidings start prints it; GET /v1/server-key returns it), or insecureUnpinnedServerKey: true for development only",
  );
}

interface Waiter {
  resolve(r: SendResult): void;
  reject(e: unknown): void;
}

/**
 * The Tidings client: one device of one user. Create it with
 * {@link createClient}.
 */
export class TidingsClient extends Emitter<ClientEvents> {
  /** The user id, known after the first welcome. */
  userId = '';
  /** Group operations (create, add, remove, roles, mutes, info, members). */
  readonly groups = new GroupsManager((c, op, args, after) => this.call(c, op, args, after));
  /** Chatrooms: join (re-joined after every reconnect, catching up from the last seq), leave, manage. */
  readonly rooms: RoomsManager = new RoomsManager({
    call: (c, op, args, after) => this.call(c, op, args, after),
    callNow: (c, op, args = {}, after = 0) =>
      new Promise<ConvResult>((resolve, reject) => {
        if (!this.session) return reject(new ClientError('client.disconnected'));
        this.session.call({ convId: c, op, args: JSON.stringify(args), afterSeq: BigInt(after) }, resolve, reject);
      }),
    lastSeq: (c) => this.tracker.lastSeq(c),
    ingest: (c, msgs, max, base) => this.session?.ingest(c, msgs, max, base),
    send: (c, input) => this.send(c, input),
    error: (err) => this.emit('error', err as SdkError),
  });
  private device = '';
  private current: ClientState = 'idle';
  private readonly opts: ClientOptions;
  private readonly clock: Clock;
  private readonly store: ClientStore;
  private readonly backoff: Backoff;
  private readonly outbox: Outbox;
  private readonly tracker = new ConversationTracker();
  private readonly planner = new SyncPlanner();
  private readonly acks = new DeliveryAcks();
  private readonly waiters = new Map<string, Waiter>();
  private readonly ctx: SessionContext;
  private session: Session | undefined;
  private cursor = 0;
  private loading: Promise<void> | undefined;
  private connecting: { promise: Promise<void>; resolve(): void; reject(e: unknown): void } | undefined;
  private timer: TimerHandle | undefined;
  private token: string | undefined;
  private authFailures = 0;
  private readonly urls: readonly string[];
  private urlIndex = 0;

  /** Accepted server keys; undefined only when the app opted out of pinning. */
  private readonly pinned: readonly Uint8Array[] | undefined;

  constructor(options: ClientOptions) {
    super();
    this.opts = options;
    this.pinned = pinnedKeys(options);
    this.urls = typeof options.url === 'string' ? [options.url] : options.url;
    if (this.urls.length === 0) throw new TypeError('url: at least one gateway URL is needed');
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? createMemoryStore();
    this.backoff = new Backoff(options.backoff);
    const onStoreError = (cause: unknown): void => this.emit('error', new ClientError('client.store_failed', 'store write failed', { cause }));
    this.outbox = new Outbox(this.store, { window: options.sendWindow, now: () => this.clock.now(), onStoreError });
    this.ctx = this.sessionContext(onStoreError);
  }

  /** Current connection state. */
  get state(): ClientState {
    return this.current;
  }

  /** This device's id, known once `connect()` or `send()` loaded the store. */
  get deviceId(): string {
    return this.device;
  }

  /** Messages waiting for their ack. */
  get outboxSize(): number {
    return this.outbox.size;
  }

  /** Highest surfaced seq of a conversation. */
  lastSeq(convId: string): number {
    return this.tracker.lastSeq(convId);
  }

  /**
   * Connects and keeps connecting. Resolves at the first welcome; rejects
   * only on a fatal failure (bad credentials, replaced device, `close()`).
   */
  connect(): Promise<void> {
    if (this.current === 'closed') return Promise.reject(new ClientError('client.closed'));
    if (this.connecting) return this.connecting.promise;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {});
    this.connecting = { promise, resolve, reject };
    if (this.current === 'connected') resolve();
    else if (this.current === 'idle') void this.attempt();
    return promise;
  }

  /**
   * Queues a message: it is persisted, then written, and resent after any
   * disconnect until the server acks it. Resolves with the ack; rejects
   * with a {@link TidingsError} when the server refuses it for good.
   */
  async send(convId: string, input: SendInput): Promise<SendResult> {
    if (this.current === 'closed') throw new ClientError('client.closed');
    await this.load();
    const content = typeof input.content === 'string' ? new TextEncoder().encode(input.content) : input.content;
    const priority = input.priority === 'low' ? 1 : input.priority === 'high' ? 2 : 0;
    const { entry, durable } = this.outbox.add(convId, input.type, content, input.flags ?? 0, priority);
    const result = new Promise<SendResult>((resolve, reject) => this.waiters.set(entry.clientMsgId, { resolve, reject }));
    this.emit('queued', { convId, clientMsgId: entry.clientMsgId, senderSeq: entry.senderSeq });
    try {
      await durable;
    } catch (cause) {
      this.waiters.delete(entry.clientMsgId);
      throw new ClientError('client.store_failed', 'could not persist the message', { cause });
    }
    this.session?.flushOutbox();
    return result;
  }

  /**
   * Sends one group or chatroom operation once connected; resolves with the
   * server's answer. Rejects with a `TidingsError` when refused, or
   * `client.disconnected` when the connection ended before the answer.
   */
  async call(convId: string, op: string, args: Record<string, unknown> = {}, afterSeq = 0): Promise<ConvResult> {
    await this.connect();
    return new Promise<ConvResult>((resolve, reject) => {
      if (!this.session) return reject(new ClientError('client.disconnected'));
      this.session.call({ convId, op, args: JSON.stringify(args), afterSeq: BigInt(afterSeq) }, resolve, reject);
    });
  }

  /**
   * Disconnects for good and closes the store. Unacked messages stay in the
   * store (they are resent by the next client on it); their promises reject
   * with `client.closed`.
   */
  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.setState('closed');
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.session?.close(1000, 'client closed');
    this.session = undefined;
    this.fail(new ClientError('client.closed'));
    await this.loading?.catch(() => {});
    await this.store.close();
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      const snap = await this.store.load();
      this.device = this.opts.deviceId ?? snap.deviceId ?? globalThis.crypto.randomUUID();
      if (snap.deviceId !== this.device) await this.store.setDeviceId(this.device);
      this.cursor = snap.cursor;
      this.outbox.load(snap.outbox, snap.nextSenderSeqs);
      this.tracker.load(snap.lastSeqs);
    })();
    return this.loading;
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    this.setState(this.backoff.attempts === 0 && !this.userId ? 'connecting' : 'reconnecting');
    try {
      await this.load();
      if (this.token === undefined) this.token = typeof this.opts.token === 'string' ? this.opts.token : await this.opts.token();
    } catch (cause) {
      if (this.current === 'closed') return;
      this.emit('error', new ClientError('client.token_failed', 'could not get a token', { cause }));
      this.retry(this.backoff.next());
      return;
    }
    if (this.current === 'closed') return;
    const base = this.urls[this.urlIndex % this.urls.length]!;
    const url = `${base}${base.includes('?') ? '&' : '?'}device=${encodeURIComponent(this.device)}`;
    let session: Session;
    try {
      const factory = this.opts.webSocket ?? globalWebSocketFactory;
      let ws: WebSocketLike;
      if (this.opts.secure === false) ws = factory(url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + this.token]);
      else {
        // The token goes inside the secure session, never into the upgrade request.
        const options = { token: this.token, sdk: SDK_NAME, sdkVersion: SDK_VERSION, ...(this.pinned ? { pinned: this.pinned } : {}) };
        ws = new SecureSocket(factory(url, [SECURE_SUBPROTOCOL]), options);
      }
      session = new Session(ws, this.ctx);
    } catch (cause) {
      this.urlIndex++;
      this.emit('error', new ClientError('client.bad_frame', 'could not open a WebSocket', { cause }));
      this.retry(this.backoff.next());
      return;
    }
    this.session = session;
    const timeout = this.clock.setTimeout(() => {
      if (this.session === session && !session.isWelcomed) session.close(1000, 'connect timeout');
    }, this.opts.connectTimeoutMs ?? 10_000);
    this.connectTimeout = timeout;
  }

  private connectTimeout: TimerHandle | undefined;

  private handleClosed(code: number, reason: string, announced: string | undefined): void {
    // A node that did not welcome us (down, paused, unreachable): try the next one.
    if (!this.session?.isWelcomed) this.urlIndex++;
    this.session = undefined;
    if (this.connectTimeout !== undefined) this.clock.clearTimeout(this.connectTimeout);
    this.outbox.resetInFlight();
    this.tracker.resetPulls();
    if (this.current === 'closed') return;
    const errCode: ErrorCode | undefined = isErrorCode(reason) ? reason : announced && isErrorCode(announced) ? announced : codeForClose(code);
    if (errCode === 'auth.token_expired' && typeof this.opts.token === 'function' && ++this.authFailures <= MAX_AUTH_RETRIES) {
      this.token = undefined;
      this.retry(this.authFailures === 1 ? 0 : this.backoff.next());
      return;
    }
    if (isResumableClose(code) && !(errCode && errCode.startsWith('auth.'))) {
      this.retry(this.backoff.next());
      return;
    }
    const err = new TidingsError(errCode ?? 'server.internal', reason || undefined);
    this.emit('error', err);
    this.setState('closed');
    this.fail(err);
    void this.store.close().catch(() => {});
  }

  private retry(delayMs: number): void {
    if (this.current === 'closed') return;
    this.setState('reconnecting');
    this.timer = this.clock.setTimeout(() => void this.attempt(), delayMs);
  }

  private fail(err: unknown): void {
    this.connecting?.reject(err);
    this.connecting = undefined;
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
  }

  private setState(s: ClientState): void {
    if (s === this.current) return;
    this.current = s;
    this.emit('state', s);
  }

  private handleWelcome(w: Welcome): void {
    if (this.connectTimeout !== undefined) this.clock.clearTimeout(this.connectTimeout);
    this.userId = w.userId;
    if (w.deviceId) this.device = w.deviceId;
    this.backoff.reset();
    this.authFailures = 0;
    this.setState('connected');
    this.connecting?.resolve();
    // Before the session flushes the outbox: a room send must find its connection joined.
    this.rooms.handleConnected();
  }

  private handleAcked(ack: SendAck, entry: OutboxEntry | undefined): Message | undefined {
    const result: SendResult = {
      convId: ack.convId,
      clientMsgId: ack.clientMsgId,
      senderSeq: toNumber(ack.senderSeq),
      msgId: ack.msgId,
      seq: toNumber(ack.seq),
      ts: toNumber(ack.ts),
      duplicate: ack.duplicate,
    };
    const waiter = this.waiters.get(ack.clientMsgId);
    this.waiters.delete(ack.clientMsgId);
    // The app sees its own message in the stream first, then the ack.
    queueMicrotask(() => {
      this.emit('ack', result);
      waiter?.resolve(result);
    });
    // A shed chatroom message is not surfaced: every member, this device included, gets the marker covering it.
    if (!entry || ack.shed) return undefined;
    const { convId, clientMsgId, type, content, flags } = entry;
    return { convId, seq: result.seq, msgId: ack.msgId, senderId: this.userId, senderDevice: this.device, clientMsgId, type, content, ts: result.ts, flags };
  }

  private sessionContext(onStoreError: (e: unknown) => void): SessionContext {
    const o = this.opts;
    return {
      clock: this.clock,
      outbox: this.outbox,
      tracker: this.tracker,
      planner: this.planner,
      acks: this.acks,
      options: {
        pullLimit: o.pullLimit ?? 200,
        syncLimit: o.syncLimit ?? 200,
        deliveryAckDelayMs: o.deliveryAckDelayMs ?? 100,
        defaultPingMs: o.pingIntervalMs ?? 25_000,
        syncIntervalMs: o.syncIntervalMs ?? 30_000,
        requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
        maxFrameBytes: 4 * 1024 * 1024,
      },
      cursor: () => this.cursor,
      welcome: (w) => this.handleWelcome(w),
      acked: (ack, entry) => this.handleAcked(ack, entry),
      sendFailed: (entry, err) => {
        const w = this.waiters.get(entry.clientMsgId);
        this.waiters.delete(entry.clientMsgId);
        this.emit('error', err);
        w?.reject(err);
      },
      surfaced: (msgs) => {
        const last = new Map<string, number>();
        for (const m of msgs) {
          this.emit('message', m);
          last.set(m.convId, m.seq);
        }
        for (const [c, s] of last) this.store.setLastSeq(c, s).catch(onStoreError);
      },
      cursorDone: (cursor) => {
        this.cursor = cursor;
        this.store.setCursor(cursor).catch(onStoreError);
      },
      error: (err) => this.emit('error', err),
      closed: (code, reason, announced) => this.handleClosed(code, reason, announced),
    };
  }
}
