import type { IncomingMessage, Server } from 'node:http';
import type { AbuseLimits } from '../limits/abuse.ts';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame, ERRORS, isValidId, SECURE_SUBPROTOCOL, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ErrorCode } from '@tidings/protocol';
import type { Logger } from '../log/logger.ts';
import type { VerifyResult } from '../auth/tokens.ts';
import type { Router } from '../router/router.ts';
import type { Messaging } from '../services/messaging.ts';
import { Connection } from './connection.ts';
import type { SecureChannel } from '../secure/channel.ts';
import type { ServerKey } from '../secure/server-key.ts';
import { runSecureHandshake } from './secure-handshake.ts';
import { createTurnScheduler } from './turn-scheduler.ts';

/** Secure-session settings of the gateway. */
export interface GatewaySecurity {
  readonly mode: 'required' | 'optional' | 'off';
  readonly key: ServerKey;
  readonly handshakeTimeoutMs: number;
}

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  readonly server: Server;
  readonly path: string;
  readonly nodeId: string;
  readonly verify: (token: string) => Promise<VerifyResult>;
  readonly router: Router;
  readonly messaging: Messaging;
  readonly log: Logger;
  readonly maxFrameBytes: number;
  readonly sendBufferBytes: number;
  readonly pingIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly now: () => number;
  readonly onConnections?: (count: number) => void;
  readonly onRejected?: (code: ErrorCode) => void;
  /** Secure sessions; plaintext only when absent. */
  readonly security?: GatewaySecurity;
  /** Connect rates, the per-user connection cap, message and request rates. */
  readonly limits?: AbuseLimits;
}

/** The token a client presented: a `tidings.token.*` subprotocol entry or a Bearer header. */
function presentedToken(req: IncomingMessage): { token: string; offered: boolean } {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
  const fromProtocol = offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
  if (fromProtocol) return { token: fromProtocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length), offered: offered.includes(SUBPROTOCOL) };
  const auth = req.headers.authorization ?? '';
  return { token: auth.startsWith('Bearer ') ? auth.slice(7) : '', offered: true };
}

function offersSecure(req: IncomingMessage): boolean {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').some((s) => s.trim() === SECURE_SUBPROTOCOL);
}

/**
 * The WebSocket gateway. The token is verified BEFORE the upgrade completes:
 * a rejected client gets a completed handshake that is closed at once with
 * the error's close code and the code string as reason (browsers cannot read
 * a refused handshake's status), and no connection state is ever created.
 */
export function createGateway(o: GatewayOptions) {
  const secureMode = o.security?.mode ?? 'off';
  const wss = new WebSocketServer({
    noServer: true,
    // ws enforces a hard cap; frames between maxFrameBytes and this get our own error frame.
    maxPayload: o.maxFrameBytes * 2,
    perMessageDeflate: false,
    handleProtocols: (protocols) =>
      protocols.has(SECURE_SUBPROTOCOL) && secureMode !== 'off' ? SECURE_SUBPROTOCOL : protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false,
  });
  const connections = new Set<Connection>();
  // One FIFO for the frames of every connection: a storm of pulls cannot starve accepts and upgrades.
  const scheduler = createTurnScheduler();
  let accepting = true;

  const refuse = (req: IncomingMessage, socket: Duplex, head: Buffer, code: ErrorCode): void => {
    o.onRejected?.(code);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => ws.close(ERRORS[code].close, code));
  };

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== o.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!accepting) return refuse(req, socket, head, 'server.shutting_down');
    const flood = o.limits?.connect(req.socket.remoteAddress ?? '');
    if (flood) return refuse(req, socket, head, flood);
    const deviceId = url.searchParams.get('device') ?? '';
    if (!isValidId(deviceId)) return refuse(req, socket, head, 'protocol.invalid_request');
    const { token, offered } = presentedToken(req);
    const connectionId = `${o.nodeId}-${randomBytes(6).toString('base64url')}`;
    if (o.security && secureMode !== 'off' && offersSecure(req)) {
      const security = o.security;
      // A token presented at the upgrade is still checked early; the SDK sends it inside the channel instead.
      let early: Extract<VerifyResult, { ok: true }> | undefined;
      if (token) {
        const v = await o.verify(token).catch((): VerifyResult => ({ ok: false, code: 'storage.unavailable' }));
        if (!v.ok) return refuse(req, socket, head, v.code);
        early = v;
      }
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) =>
        runSecureHandshake(ws, {
          key: security.key,
          connectionId,
          timeoutMs: security.handshakeTimeoutMs,
          maxFrameBytes: o.maxFrameBytes,
          verify: o.verify,
          ...(early ? { early } : {}),
          rejected: (code) => o.onRejected?.(code),
          done: (channel, verdict, backlog) => {
            if (!accepting) {
              o.onRejected?.('server.shutting_down');
              return void ws.close(ERRORS['server.shutting_down'].close, 'server.shutting_down');
            }
            open(ws, socket as Socket, verdict.claims, deviceId, connectionId, channel)?.feed(backlog);
          },
        }),
      );
      return;
    }
    if (secureMode === 'required') return refuse(req, socket, head, offered ? 'security.required' : 'protocol.unsupported_version');
    if (!offered) return refuse(req, socket, head, 'protocol.unsupported_version');
    const verdict = await o.verify(token).catch(() => ({ ok: false, code: 'storage.unavailable' }) as const);
    if (!verdict.ok) return refuse(req, socket, head, verdict.code);
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => void open(ws, socket as Socket, verdict.claims, deviceId, connectionId));
  }

  /** An authenticated socket becomes a connection: attached to the router, welcomed. */
  function open(
    ws: WebSocket,
    socket: Socket,
    claims: { appKey: string; userId: string },
    deviceId: string,
    connectionId: string,
    channel?: SecureChannel,
  ): Connection | undefined {
    const capped = o.limits?.opened(claims.appKey, claims.userId);
    if (capped) {
      o.onRejected?.(capped);
      ws.close(ERRORS[capped].close, capped);
      return undefined;
    }
    const session = { appKey: claims.appKey, userId: claims.userId, deviceId, connectionId };
    const conn = new Connection(ws, socket, session, {
      messaging: o.messaging,
      log: o.log,
      maxFrameBytes: o.maxFrameBytes,
      sendBufferBytes: o.sendBufferBytes,
      now: o.now,
      onClose: (c) => {
        o.limits?.closed(c.session.appKey, c.session.userId);
        connections.delete(c);
        o.router.detach(c);
        o.onConnections?.(connections.size);
      },
      ...(o.onRejected ? { onRejected: o.onRejected } : {}),
      ...(channel ? { channel } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
      scheduler,
    });
    connections.add(conn);
    o.onConnections?.(connections.size);
    const replaced = o.router.attach(conn);
    if (replaced instanceof Connection) replaced.close('conn.replaced');
    conn.write(
      encodeFrame({
        rid: 0,
        body: {
          case: 'welcome',
          value: {
            appKey: session.appKey,
            userId: session.userId,
            deviceId,
            connectionId,
            serverTime: BigInt(o.now()),
            maxFrameBytes: o.maxFrameBytes,
            pingIntervalMs: o.pingIntervalMs,
            nodeId: o.nodeId,
          },
        },
      }),
    );
    return conn;
  }

  const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Through the scheduler's first lane: a storm of upgrades is bounded per turn too, so accepts keep up.
    scheduler.runFirst(() => {
      if (socket.destroyed) return;
      onUpgrade(req, socket, head).catch((err: unknown) => {
        o.log.error({ err }, 'upgrade failed');
        socket.destroy();
      });
    });
  };
  o.server.on('upgrade', upgradeListener);

  // One sweep for all sockets: ping each, close the silent ones.
  const heartbeat = setInterval(() => {
    const now = o.now();
    for (const c of connections) {
      if (now - c.lastSeen > o.heartbeatTimeoutMs) c.close('conn.heartbeat_timeout');
      else c.ping();
    }
  }, o.pingIntervalMs);
  heartbeat.unref();

  return {
    get size(): number {
      return connections.size;
    },
    /** Closes every connection of a user on this node (blocked, or tokens revoked). */
    closeUser(appKey: string, userId: string, code: ErrorCode): void {
      for (const c of connections) if (c.session.appKey === appKey && c.session.userId === userId) c.close(code);
    },
    /** Stops taking new connections. */
    stopAccepting(): void {
      accepting = false;
    },
    /** Closes every connection with a resumable code, then the WebSocket server. */
    async close(code: ErrorCode = 'server.shutting_down'): Promise<void> {
      accepting = false;
      clearInterval(heartbeat);
      o.server.off('upgrade', upgradeListener);
      const closed = [...connections].map(
        (c) => new Promise<void>((resolve) => {
          connections.delete(c);
          c.close(code);
          setTimeout(resolve, 0);
        }),
      );
      await Promise.all(closed);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The WebSocket gateway. */
export type Gateway = ReturnType<typeof createGateway>;
