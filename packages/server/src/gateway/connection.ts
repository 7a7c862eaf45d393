import type { Socket } from 'node:net';
import type { AbuseLimits } from '../limits/abuse.ts';
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, ERRORS, TidingsError, type ErrorCode, type Frame } from '@tidings/protocol';
import type { Logger } from '../log/logger.ts';
import type { Messaging } from '../services/messaging.ts';
import { errorFrame } from '../services/replies.ts';
import type { Session } from '../services/session.ts';
import { wsBinaryFrame } from './ws-frame.ts';
import { flushAtTurnEnd, type TurnWriter } from './turn-writes.ts';
import type { SecureChannel } from '../secure/channel.ts';
import { REQUEST_COST, type Pausable, type TurnScheduler } from './turn-scheduler.ts';

/** What a connection needs from the node. */
export interface ConnectionDeps {
  readonly messaging: Messaging;
  readonly log: Logger;
  readonly maxFrameBytes: number;
  readonly sendBufferBytes: number;
  readonly now: () => number;
  readonly onClose: (conn: Connection) => void;
  readonly onRejected?: (code: ErrorCode) => void;
  /** The secure session's record layer; absent on a plaintext connection. */
  readonly channel?: SecureChannel;
  /** Message and request rate limits. */
  readonly limits?: AbuseLimits;
  /** Bounds request work per event-loop turn across the node; frames run at once when absent. */
  readonly scheduler?: TurnScheduler;
}

/**
 * One authenticated WebSocket. Reads frames in order and hands them to the
 * services through the node's turn scheduler (in arrival order); writes are coalesced per event-loop turn (held
 * here, then one socket write per connection per turn, see turn-writes.ts); a client that does not read is closed
 * with a resumable code instead of being buffered forever.
 */
export class Connection implements Pausable, TurnWriter {
  readonly session: Session;
  lastSeen: number;
  private readonly ws: WebSocket;
  private readonly raw: Socket;
  private readonly deps: ConnectionDeps;
  private readonly log: Logger;
  /** On this turn's flush list (see turn-writes.ts). */
  private inTurn = false;
  private closing = false;
  private readonly channel: SecureChannel | undefined;
  /** Frames written this event-loop turn: WebSocket-framed (plaintext), or to be sealed together into one record. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(ws: WebSocket, raw: Socket, session: Session, deps: ConnectionDeps) {
    this.ws = ws;
    this.raw = raw;
    this.session = session;
    this.deps = deps;
    this.lastSeen = deps.now();
    this.channel = deps.channel;
    this.log = deps.log.child({ conn: session.connectionId, app: session.appKey, user: session.userId, device: session.deviceId });
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('pong', () => (this.lastSeen = this.deps.now()));
    ws.on('close', (code) => {
      this.closing = true;
      this.deps.scheduler?.forget(this);
      this.log.debug({ code }, 'connection closed');
      this.deps.messaging.closed(this);
      this.deps.onClose(this);
    });
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
  }

  /**
   * Writes one encoded frame; closes the connection if the client is not reading.
   * Frames are held until the end of the turn ({@link flushAtTurnEnd}), then
   * written to the socket at once: plaintext frames framed once per shared
   * frame, sealed ones together into one record.
   */
  write(bytes: Uint8Array): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    // Plaintext: framed once per shared frame (a fan-out's push is the same bytes for every recipient, and no
    // compression is negotiated), so the socket gets exactly what ws.send would write, without re-framing.
    this.hold(this.channel ? bytes : wsBinaryFrame(bytes));
  }

  /** Queues bytes for this turn's flush; closes the connection if the client is not reading. */
  private hold(chunk: Uint8Array): void {
    // What the socket has not sent yet plus what this connection holds. (ws.bufferedAmount would add the same
    // socket buffer again, and its getter cost ~4% of a 10,000-member room's fan-out.)
    if (this.raw.writableLength + this.pendingBytes > this.deps.sendBufferBytes) {
      this.close('conn.slow_consumer');
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.inTurn) {
      this.inTurn = true;
      flushAtTurnEnd(this);
    }
  }

  /** Writes the frames of this turn (see {@link TurnWriter}). */
  flushTurn(): void {
    this.inTurn = false;
    if (this.pending.length === 0) return;
    if (this.channel) return this.flushSealed();
    const frames = this.pending;
    this.pendingBytes = 0;
    if (this.ws.readyState === WebSocket.OPEN) {
      if (frames.length === 1) this.raw.write(frames[0]!);
      else {
        this.raw.cork();
        for (const f of frames) this.raw.write(f);
        this.raw.uncork();
      }
    }
    frames.length = 0;
  }

  private flushSealed(): void {
    this.inTurn = false;
    if (this.pending.length === 0) return;
    const frames = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    // One buffer, WebSocket header included: the same bytes ws.send would write, without its framing work.
    if (this.ws.readyState === WebSocket.OPEN) this.raw.write(this.channel!.sealWsFrame(frames));
  }

  /** Feeds frames that arrived (already opened) before this connection existed, in order. */
  feed(frames: readonly Uint8Array[]): void {
    for (const f of frames) if (!this.closing) this.handleFrame(f);
  }

  /** Sends a WebSocket ping; part of the node's heartbeat sweep. */
  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** Says why in an error frame, then closes with the code's close code. */
  close(code: ErrorCode, message?: string): void {
    if (this.closing) return;
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN) {
      const announce = errorFrame(0, code, message ? { message } : {});
      // After the frames of this turn, in order; the turn's flush then finds nothing left.
      if (this.channel) {
        this.pending.push(announce);
        this.flushSealed();
      } else {
        this.flushTurn();
        this.ws.send(announce);
      }
      this.ws.close(ERRORS[code].close || 4000, code);
    }
    // A client that never answers the close handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.lastSeen = this.deps.now();
    if (this.closing) return;
    if (!isBinary) return this.reject('protocol.malformed_frame', 'text frames are not accepted');
    if (!this.channel) return this.handleFrame(data);
    const opened = this.channel.open(data);
    if (!opened.ok) return this.reject(opened.code, opened.message);
    for (const f of opened.frames) if (!this.closing) this.handleFrame(f);
  }

  /** Stops reading the socket (the scheduler's queue is full). */
  pause(): void {
    this.ws.pause();
  }

  /** Reads the socket again. */
  resume(): void {
    if (!this.closing) this.ws.resume();
  }

  private handleFrame(data: Uint8Array): void {
    // Decoded on arrival (its kind sets its cost), handled in arrival order: a bad frame closes the
    // connection only after the requests before it ran.
    const r = decodeFrame(data, this.deps.maxFrameBytes);
    const handle = (): void => (r.ok ? this.dispatch(r.frame) : this.reject(r.code, r.message));
    const scheduler = this.deps.scheduler;
    if (!scheduler) return handle();
    const kind = r.ok ? r.frame.body.case : undefined;
    scheduler.run(
      () => {
        if (!this.closing) handle();
      },
      this,
      kind === 'pull' || kind === 'sync' ? REQUEST_COST.read : REQUEST_COST.other,
    );
  }

  private reject(code: ErrorCode, message: string): void {
    this.deps.onRejected?.(code);
    this.log.info({ code }, 'protocol error, closing');
    this.close(code, message);
  }

  private dispatch(f: Frame): void {
    const rid = f.rid;
    const m = this.deps.messaging;
    const body = f.body;
    switch (body.case) {
      case 'send':
        if (rid === 0) return this.reject('protocol.invalid_request', 'requests need a non-zero rid');
        if (this.limited(rid, this.deps.limits?.message(this.session.connectionId, this.session.appKey, this.session.userId), body.value)) return;
        return m.send(this, rid, body.value);
      case 'sync':
        if (this.limited(rid, this.deps.limits?.request(this.session.connectionId))) return;
        return this.guard(rid, m.sync(this, rid, body.value));
      case 'pull':
        if (this.limited(rid, this.deps.limits?.request(this.session.connectionId))) return;
        return this.guard(rid, m.pull(this, rid, body.value));
      case 'conv':
        if (rid === 0) return this.reject('protocol.invalid_request', 'requests need a non-zero rid');
        if (this.limited(rid, this.deps.limits?.request(this.session.connectionId))) return;
        return this.guard(rid, m.conv(this, rid, body.value));
      case 'deliveryAck':
        return this.guard(0, m.delivered(this, body.value.convId, body.value.seq));
      case 'ping':
        return this.write(
          encodeFrame({ rid, body: { case: 'pong', value: { clientTime: body.value.clientTime, serverTime: BigInt(this.deps.now()) } } }),
        );
      case 'hello':
        this.log.debug({ sdk: body.value.sdk, version: body.value.sdkVersion }, 'hello');
        return;
      default:
        return this.reject('protocol.unexpected_frame', `frame ${String(body.case)} is not valid from a client`);
    }
  }

  /** Answers a request refused by a rate limit (the client retries later); true when refused. */
  private limited(rid: number, code: ErrorCode | undefined, send?: { convId: string; clientMsgId: string }): boolean {
    if (!code) return false;
    this.deps.onRejected?.(code);
    this.write(errorFrame(rid, code, send ? { convId: send.convId, clientMsgId: send.clientMsgId } : {}));
    return true;
  }

  private guard(rid: number, p: Promise<void>): void {
    p.catch((err: unknown) => {
      const code: ErrorCode = err instanceof TidingsError ? err.code : 'server.internal';
      this.log.error({ err }, 'request failed');
      if (rid !== 0) this.write(errorFrame(rid, code));
    });
  }
}
