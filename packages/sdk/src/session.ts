import { decodeFrame, encodeFrame, TidingsError, errorSpec, isErrorCode, type ConvResult, type FrameBody, type FrameInit, type SendAck, type Welcome } from '@tidings/protocol';
import type { Clock, TimerHandle } from './clock.ts';
import type { DeliveryAcks } from './delivery-acks.ts';
import { ClientError, type SdkError } from './errors.ts';
import { Heartbeat } from './heartbeat.ts';
import { fromWire, toNumber, type Message } from './message.ts';
import type { Outbox } from './outbox.ts';
import type { OutboxEntry } from './store.ts';
import type { SyncPlanner } from './sync-planner.ts';
import type { ConversationTracker, TrackerOutcome } from './tracker.ts';
import { WS_OPEN, toBytes, type WebSocketLike } from './transport.ts';

/** Tunables of a session. */
export interface SessionOptions {
  readonly pullLimit: number;
  readonly syncLimit: number;
  readonly deliveryAckDelayMs: number;
  /** Ping interval when the welcome names none. */
  readonly defaultPingMs: number;
  readonly maxFrameBytes: number;
  /** Periodic sync while connected; 0 for none. */
  readonly syncIntervalMs: number;
  /** A request unanswered this long ends the session (`conn.request_timeout`). */
  readonly requestTimeoutMs: number;
}

/** What a session needs from its client: shared state and callbacks. */
export interface SessionContext {
  readonly clock: Clock;
  readonly outbox: Outbox;
  readonly tracker: ConversationTracker;
  readonly planner: SyncPlanner;
  readonly acks: DeliveryAcks;
  readonly options: SessionOptions;
  cursor(): number;
  welcome(w: Welcome): void;
  /** The server committed a message; returns the sender's own message to surface, if known. */
  acked(ack: SendAck, entry: OutboxEntry | undefined): Message | undefined;
  sendFailed(entry: OutboxEntry, err: TidingsError): void;
  surfaced(messages: readonly Message[]): void;
  cursorDone(cursor: number): void;
  error(err: SdkError): void;
  /** The socket closed; `announced` is the code of an error frame the server sent before closing. */
  closed(code: number, reason: string, announced: string | undefined): void;
}

type Pending =
  | { readonly kind: 'send'; readonly clientMsgId: string; readonly senderSeq: number }
  | { readonly kind: 'sync' }
  | { readonly kind: 'pull'; readonly convId: string; readonly pullId: number }
  | { readonly kind: 'ping' }
  | { readonly kind: 'call'; resolve(r: ConvResult): void; reject(e: unknown): void };

/**
 * One connection's lifetime: decodes frames, matches answers to requests by
 * rid, runs the sync, keeps the outbox flowing and the heartbeat beating.
 * All durable decisions are made by the shared managers in the context.
 */
export class Session {
  private readonly ws: WebSocketLike;
  private readonly ctx: SessionContext;
  private readonly heartbeat: Heartbeat;
  private readonly requests = new Map<number, Pending>();
  private rid = 0;
  private welcomed = false;
  private ended = false;
  private announced: string | undefined;
  private ackTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private syncTimer: TimerHandle | undefined;
  private retryAt = 0;
  /** When each unanswered request (not pings) was written, oldest first. */
  private readonly sentAt = new Map<number, number>();
  private requestTimer: TimerHandle | undefined;

  constructor(ws: WebSocketLike, ctx: SessionContext) {
    this.ws = ws;
    this.ctx = ctx;
    this.heartbeat = new Heartbeat(ctx.clock, {
      ping: () => this.request('ping', { case: 'ping', value: { clientTime: BigInt(ctx.clock.now()) } }),
      dead: () => this.close(4009, 'conn.heartbeat_timeout'),
    });
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => this.handleData(ev.data);
    ws.onclose = (ev) => this.end(ev.code, ev.reason);
    ws.onerror = () => {};
  }

  /** True once the welcome arrived. */
  get isWelcomed(): boolean {
    return this.welcomed;
  }

  /** Writes every sendable outbox entry. */
  flushOutbox(): void {
    if (!this.welcomed || this.ended) return;
    for (const e of this.ctx.outbox.takeSendable()) {
      const value = { convId: e.convId, clientMsgId: e.clientMsgId, senderSeq: BigInt(e.senderSeq), type: e.type, content: e.content, flags: e.flags, priority: e.priority ?? 0 };
      this.request({ kind: 'send', clientMsgId: e.clientMsgId, senderSeq: e.senderSeq }, { case: 'send', value });
    }
    // Every held entry needs a timer: one armed for an earlier hold must not strand a later one.
    const at = this.ctx.outbox.nextRetryAt();
    if (at !== undefined) this.scheduleRetry(at);
  }

  /** Sends a group or chatroom operation; settles with its answer, or rejects when the connection ends first. */
  call(value: { convId: string; op: string; args: string; afterSeq: bigint }, resolve: (r: ConvResult) => void, reject: (e: unknown) => void): void {
    if (!this.welcomed || this.ended) return reject(new ClientError('client.disconnected'));
    this.request({ kind: 'call', resolve, reject }, { case: 'conv', value });
  }

  /**
   * Feeds messages that came with an answer (a room join) into the stream.
   * `baseline`: the device has nothing of this conversation yet and starts
   * at this seq (a fresh room join), instead of pulling from 1.
   */
  ingest(convId: string, messages: readonly Message[], maxSeq: number, baseline?: number): void {
    if (baseline !== undefined) this.ctx.tracker.baseline(convId, baseline);
    this.apply(this.ctx.tracker.handlePullResult(convId, messages, maxSeq));
  }

  /** Closes the socket; `closed` follows once it is down. */
  close(code = 1000, reason = ''): void {
    try {
      this.ws.close(code, reason);
    } catch {
      // Already closing or never opened: end() below still runs.
    }
    // A dead link may never deliver the close event: end now.
    this.end(code, reason);
  }

  private handleData(data: unknown): void {
    if (this.ended) return;
    const bytes = toBytes(data);
    const r = bytes ? decodeFrame(bytes, this.ctx.options.maxFrameBytes) : undefined;
    if (!r?.ok) {
      this.ctx.error(new ClientError('client.bad_frame', r ? `${r.code}: ${r.message}` : 'text frame'));
      this.close(4400, 'protocol.malformed_frame');
      return;
    }
    this.heartbeat.handleFrame();
    const pending = r.frame.rid ? this.requests.get(r.frame.rid) : undefined;
    if (pending) {
      this.requests.delete(r.frame.rid);
      this.sentAt.delete(r.frame.rid);
    }
    this.handleBody(r.frame.body, pending);
  }

  private handleBody(body: FrameBody, pending: Pending | undefined): void {
    const ctx = this.ctx;
    switch (body.case) {
      case 'welcome':
        this.welcomed = true;
        ctx.welcome(body.value);
        this.heartbeat.start(body.value.pingIntervalMs || ctx.options.defaultPingMs);
        this.watchRequests();
        this.flushOutbox();
        ctx.planner.reset();
        this.sync(ctx.cursor());
        this.apply({ surfaced: [], pulls: ctx.tracker.resumePulls() });
        this.flushAcks();
        this.scheduleSync();
        return;
      case 'sendAck': {
        const entry = ctx.outbox.handleAck(body.value.clientMsgId);
        const own = ctx.acked(body.value, entry);
        if (own) this.apply(ctx.tracker.handleIncoming(own));
        else this.apply(ctx.tracker.handleMaxSeq(body.value.convId, toNumber(body.value.seq)));
        this.flushOutbox();
        return;
      }
      case 'push':
        if (body.value.message) this.apply(ctx.tracker.handleIncoming(fromWire(body.value.message)));
        return;
      case 'syncResult': {
        const convs = body.value.conversations.map((c) => ({ convId: c.convId, maxSeq: toNumber(c.maxSeq) }));
        ctx.planner.handleSyncResult(convs, toNumber(body.value.cursor));
        for (const c of convs) this.apply(ctx.tracker.handleMaxSeq(c.convId, c.maxSeq));
        if (body.value.hasMore) this.sync(toNumber(body.value.cursor));
        this.checkProgress();
        return;
      }
      case 'pullResult': {
        const v = body.value;
        const pullId = pending?.kind === 'pull' ? pending.pullId : undefined;
        this.apply(ctx.tracker.handlePullResult(v.convId, v.messages.map(fromWire), toNumber(v.maxSeq), pullId));
        return;
      }
      case 'convResult':
        if (pending?.kind === 'call') pending.resolve(body.value);
        return;
      case 'error':
        this.handleError(body.value, pending);
        return;
      default:
        return;
    }
  }

  private handleError(e: { code: string; message: string; expectedSenderSeq: bigint; retryable: boolean }, pending: Pending | undefined): void {
    const ctx = this.ctx;
    const err = new TidingsError(isErrorCode(e.code) ? e.code : 'server.internal', e.message || undefined);
    if (!pending) {
      // rid 0: the server says why it is about to close.
      this.announced = e.code;
      return;
    }
    if (pending.kind === 'send') {
      const retryable = e.retryable || errorSpec(e.code).retryable;
      const o = ctx.outbox.handleError(pending.clientMsgId, pending.senderSeq, e.code, toNumber(e.expectedSenderSeq), retryable);
      if (o.kind === 'failed') ctx.sendFailed(o.entry, err);
      else if (o.kind === 'retry') this.scheduleRetry(o.at);
      this.flushOutbox();
      return;
    }
    if (pending.kind === 'call') return pending.reject(err);
    if (pending.kind === 'pull') ctx.tracker.handlePullFailed(pending.convId, pending.pullId);
    ctx.error(err);
  }

  private apply(outcome: TrackerOutcome): void {
    if (outcome.surfaced.length > 0) {
      this.ctx.surfaced(outcome.surfaced);
      let start = false;
      for (const m of outcome.surfaced) start = this.ctx.acks.handleSurfaced(m.convId, m.seq) || start;
      if (start && this.ackTimer === undefined) {
        this.ackTimer = this.ctx.clock.setTimeout(() => {
          this.ackTimer = undefined;
          this.flushAcks();
        }, this.ctx.options.deliveryAckDelayMs);
      }
      this.checkProgress();
    }
    for (const p of outcome.pulls) {
      const value = { convId: p.convId, fromSeq: BigInt(p.fromSeq), toSeq: BigInt(p.toSeq), limit: this.ctx.options.pullLimit };
      this.request({ kind: 'pull', convId: p.convId, pullId: p.id }, { case: 'pull', value });
    }
  }

  private checkProgress(): void {
    const cursor = this.ctx.planner.handleProgress((c) => this.ctx.tracker.lastSeq(c));
    if (cursor !== undefined) this.ctx.cursorDone(cursor);
  }

  private sync(cursor: number): void {
    this.request({ kind: 'sync' }, { case: 'sync', value: { cursor: BigInt(cursor), limit: this.ctx.options.syncLimit } });
  }

  /** Anti-entropy: a sync every interval heals a push lost at the tail of a conversation. */
  private scheduleSync(): void {
    const ms = this.ctx.options.syncIntervalMs;
    if (ms <= 0 || this.ended) return;
    this.syncTimer = this.ctx.clock.setTimeout(() => {
      this.syncTimer = undefined;
      if (this.ended) return;
      let syncing = false;
      for (const p of this.requests.values()) if (p.kind === 'sync') syncing = true;
      if (!syncing) this.sync(this.ctx.cursor());
      this.scheduleSync();
    }, ms);
  }

  private flushAcks(): void {
    if (!this.welcomed || this.ended) return;
    for (const a of this.ctx.acks.take()) this.write(0, { case: 'deliveryAck', value: { convId: a.convId, seq: BigInt(a.seq) } });
  }

  private scheduleRetry(at: number): void {
    if (this.retryTimer !== undefined) {
      if (this.retryAt <= at) return;
      this.ctx.clock.clearTimeout(this.retryTimer);
    }
    this.retryAt = at;
    this.retryTimer = this.ctx.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.flushOutbox();
    }, Math.max(0, at - this.ctx.clock.now()));
  }

  /**
   * A server that stops answering on a live link (its pings still answered)
   * would hold the outbox forever: a request unanswered for the request
   * timeout ends the session, and the client reconnects and resends.
   */
  private watchRequests(): void {
    const timeout = this.ctx.options.requestTimeoutMs;
    if (timeout <= 0 || this.requestTimer !== undefined) return;
    this.requestTimer = this.ctx.clock.setTimeout(() => {
      this.requestTimer = undefined;
      if (this.ended) return;
      const oldest = this.sentAt.values().next();
      if (!oldest.done && this.ctx.clock.now() - oldest.value >= timeout) return this.close(4011, 'conn.request_timeout');
      this.watchRequests();
    }, Math.max(50, Math.floor(timeout / 4)));
  }

  private request(pending: Pending | 'ping', body: FrameInit['body']): void {
    this.rid = this.rid >= 0xffff_fffe ? 1 : this.rid + 1;
    this.requests.set(this.rid, pending === 'ping' ? { kind: 'ping' } : pending);
    if (pending !== 'ping') this.sentAt.set(this.rid, this.ctx.clock.now());
    this.write(this.rid, body);
  }

  private write(rid: number, body: FrameInit['body']): void {
    if (this.ended || this.ws.readyState !== WS_OPEN) return;
    try {
      this.ws.send(encodeFrame({ rid, body }));
    } catch {
      // The socket is going down; its close event ends the session.
    }
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.heartbeat.stop();
    for (const t of [this.ackTimer, this.retryTimer, this.syncTimer, this.requestTimer]) if (t !== undefined) this.ctx.clock.clearTimeout(t);
    for (const p of this.requests.values()) if (p.kind === 'call') p.reject(new ClientError('client.disconnected'));
    this.requests.clear();
    this.sentAt.clear();
    this.ws.onmessage = null;
    this.ws.onclose = null;
    this.ctx.closed(code, reason, this.announced);
  }
}
