/**
 * A WebSocket-aware fault proxy: listens on 127.0.0.1, bridges each incoming
 * WebSocket to the target (same path and query, same offered subprotocols,
 * the upstream's chosen subprotocol and close codes relayed back) and breaks
 * the traffic on purpose as configured, from a seeded generator.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  emptyCounters,
  mergeFaults,
  snapshotCounters,
  validateFaults,
  type FaultConfig,
  type FaultCounters,
  type FaultTarget,
} from './fault-config.ts';
import { createLinkRegistry } from './link-registry.ts';
import { createRandom } from './random.ts';
import { createWsLink } from './ws-link.ts';

/** Options of {@link createFaultProxy}. */
export interface FaultProxyOptions {
  /** Where to forward, e.g. `ws://127.0.0.1:4000`. Its path is ignored: the client's path is kept. */
  readonly target: string;
  /** Seed of the fault generator; random (and reported as `seed`) when absent. */
  readonly seed?: number;
  /** Initial faults; none by default. */
  readonly faults?: FaultConfig;
  /** Listening port; 0 (any free port) by default. */
  readonly port?: number;
}

/** Operations common to the WebSocket and the TCP proxy. */
export interface ProxyControls {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** The seed in use: print it so a failing run can be replayed. */
  readonly seed: number;
  /** Current fault settings. */
  readonly faults: FaultConfig;
  /** Connections currently bridged. */
  readonly connections: number;
  /** Changes faults at run time (each given field replaces the current one). */
  set(change: FaultConfig): void;
  /** Cuts every live connection now; returns how many. */
  cutAll(): number;
  /** Cuts one live connection, chosen by the seeded generator. */
  cutOne(): boolean;
  /** Stalls all connections (or one) for `ms`; returns how many. */
  stall(ms: number, target?: FaultTarget): number;
  /** A copy of what the proxy has done so far. */
  stats(): FaultCounters;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** A running WebSocket fault proxy. */
export interface FaultProxy extends ProxyControls {
  /** `ws://127.0.0.1:<port>`: give this to clients instead of the target. */
  readonly url: string;
}

const HOP_HEADERS = new Set([
  'host',
  'connection',
  'upgrade',
  'content-length',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_HEADERS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * Starts a WebSocket fault proxy in front of `target`.
 *
 * @example
 * ```ts
 * const proxy = await createFaultProxy({ target: server.wsUrl, seed: 1, faults: { dropAcks: 0.2 } });
 * const client = connect(proxy.url);
 * proxy.set({ cut: { everyMs: 500, jitterMs: 200 } });
 * // ...
 * console.log(`seed=${proxy.seed} ${formatCounters(proxy.stats())}`);
 * await proxy.close();
 * ```
 */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const targetUrl = new URL(options.target);
  if (targetUrl.protocol !== 'ws:' && targetUrl.protocol !== 'wss:')
    throw new TypeError(`target must be ws:// or wss://, got ${options.target}`);
  const httpTarget = new URL(targetUrl.origin.replace(/^ws/, 'http'));
  const rng = createRandom(options.seed);
  const counters = emptyCounters();
  let faults: FaultConfig = Object.freeze({ ...(options.faults ?? {}) });
  validateFaults(faults);
  const registry = createLinkRegistry(rng, counters);
  registry.configure(faults);
  const chosenProtocol = new WeakMap<IncomingMessage, string>();
  const pending = new Set<WebSocket>();
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => chosenProtocol.get(req) || false,
  });

  const server = createServer((req, res) => {
    // Plain HTTP on the same port (health, REST) is passed through unharmed.
    const up = httpRequest(
      new URL(req.url ?? '/', httpTarget),
      { method: req.method, headers: { ...forwardedHeaders(req), host: httpTarget.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing) return void socket.destroy();
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const upstreamUrl = new URL(req.url ?? '/', targetUrl);
    const upstream = new WebSocket(upstreamUrl, offered, { perMessageDeflate: false, headers: forwardedHeaders(req) });
    pending.add(upstream);
    const early: Array<[RawData, boolean]> = [];
    const onEarly = (data: RawData, isBinary: boolean): void => void early.push([data, isBinary]);
    upstream.on('message', onEarly);
    let opened = false;
    let failed = false;
    socket.once('close', () => {
      if (!opened) upstream.terminate();
    });

    upstream.once('unexpected-response', (upReq, upRes) => {
      pending.delete(upstream);
      failed = true;
      counters.upstreamFailures++;
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = Buffer.concat(chunks);
        const type = upRes.headers['content-type'] ?? 'text/plain';
        socket.end(
          `HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? ''}\r\nConnection: close\r\n` +
            `Content-Type: ${type}\r\nContent-Length: ${body.byteLength}\r\n\r\n`,
        );
        socket.destroy();
        upReq.destroy();
      });
    });
    upstream.on('error', () => {
      if (opened || failed) return;
      failed = true;
      pending.delete(upstream);
      counters.upstreamFailures++;
      if (!socket.destroyed) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    upstream.once('open', () => {
      opened = true;
      pending.delete(upstream);
      if (socket.destroyed || closing) return void upstream.terminate();
      chosenProtocol.set(req, upstream.protocol);
      wss.handleUpgrade(req, socket, head, (client) => {
        upstream.off('message', onEarly);
        counters.connections++;
        counters.active++;
        const link = createWsLink({
          client,
          upstream,
          rng,
          counters,
          config: () => faults,
          onEnd: () => {
            counters.active--;
            registry.remove(link);
          },
        });
        registry.add(link);
        for (const [data, isBinary] of early) link.receive('s2c', data, isBinary);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    seed: rng.seed,
    get faults() {
      return faults;
    },
    get connections() {
      return registry.size;
    },
    set(change) {
      faults = mergeFaults(faults, change);
      registry.configure(faults);
    },
    cutAll: () => registry.cutAll(),
    cutOne: () => registry.cutOne(),
    stall: (ms, target) => registry.stall(ms, target),
    stats: () => snapshotCounters(counters),
    async close() {
      if (closing) return;
      closing = true;
      registry.close();
      for (const u of pending) u.terminate();
      pending.clear();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
