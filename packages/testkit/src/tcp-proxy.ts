/**
 * A byte-level TCP fault proxy for protocols that are not WebSocket (NATS,
 * PostgreSQL): it forwards bytes unchanged and can only cut or stall whole
 * connections. Frame faults (drop, dup, delay) do not apply here.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  emptyCounters,
  mergeFaults,
  snapshotCounters,
  validateFaults,
  type Direction,
  type FaultConfig,
} from './fault-config.ts';
import type { ProxyControls } from './fault-proxy.ts';
import { createLinkRegistry, type FaultLink } from './link-registry.ts';
import { createRandom } from './random.ts';

/** Options of {@link createTcpFaultProxy}. */
export interface TcpFaultProxyOptions {
  /** Where to forward: `{ host, port }` or `"host:port"`. */
  readonly target: { readonly host: string; readonly port: number } | string;
  readonly seed?: number;
  /** Only `cut` and `stall` apply in TCP mode. */
  readonly faults?: Pick<FaultConfig, 'cut' | 'stall'>;
  /** Listening port; 0 (any free port) by default. */
  readonly port?: number;
}

/** A running TCP fault proxy. `stats().frames` counts data chunks, not frames. */
export interface TcpFaultProxy extends ProxyControls {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** `127.0.0.1:<port>`, handy for connection strings. */
  readonly address: string;
}

function parseTarget(t: TcpFaultProxyOptions['target']): { host: string; port: number } {
  if (typeof t !== 'string') return { host: t.host, port: t.port };
  const i = t.lastIndexOf(':');
  const port = Number(t.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) throw new TypeError(`target must be "host:port", got ${t}`);
  return { host: t.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

function abort(s: Socket): void {
  // A reset, not a FIN: what a dropped network or a killed peer looks like.
  if (!s.destroyed) s.resetAndDestroy();
}

/**
 * Starts a TCP fault proxy in front of `target`.
 *
 * @example
 * ```ts
 * const pgProxy = await createTcpFaultProxy({ target: '127.0.0.1:5432', seed: 3 });
 * const url = `postgres://u:p@${pgProxy.address}/db`;
 * pgProxy.cutAll(); // the server's pool must notice and reconnect
 * ```
 */
export async function createTcpFaultProxy(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
  const target = parseTarget(options.target);
  const rng = createRandom(options.seed);
  const counters = emptyCounters();
  let faults: FaultConfig = Object.freeze({ ...(options.faults ?? {}) });
  validateFaults(faults);
  const registry = createLinkRegistry(rng, counters);
  registry.configure(faults);
  let closing = false;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const server = createServer((client) => {
    if (closing) return abort(client);
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    let stalledUntil = 0;
    let stallTimer: NodeJS.Timeout | undefined;
    const blocked: Record<Direction, boolean> = { c2s: false, s2c: false };
    let ended = false;
    let connected = false;
    const source = (dir: Direction): Socket => (dir === 'c2s' ? client : upstream);
    const sink = (dir: Direction): Socket => (dir === 'c2s' ? upstream : client);
    const flowing = (dir: Direction): void => {
      if (ended) return;
      if (blocked[dir] || Date.now() < stalledUntil) source(dir).pause();
      else source(dir).resume();
    };

    const link: FaultLink = {
      cut() {
        finish();
        abort(client);
        abort(upstream);
      },
      stall(ms) {
        stalledUntil = Math.max(stalledUntil, Date.now() + ms);
        flowing('c2s');
        flowing('s2c');
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => {
          flowing('c2s');
          flowing('s2c');
        }, stalledUntil - Date.now());
      },
    };
    const finish = (): void => {
      if (ended) return;
      ended = true;
      clearTimeout(stallTimer);
      if (connected) counters.active--;
      registry.remove(link);
    };

    for (const dir of ['c2s', 's2c'] as const) {
      source(dir).on('data', (chunk: Buffer) => {
        counters.frames[dir]++;
        if (!sink(dir).write(chunk)) {
          blocked[dir] = true;
          flowing(dir);
          sink(dir).once('drain', () => {
            blocked[dir] = false;
            flowing(dir);
          });
        }
      });
      source(dir).on('end', () => sink(dir).end());
      source(dir).on('error', () => abort(sink(dir)));
      source(dir).on('close', () => {
        if (!sink(dir).destroyed) sink(dir).destroySoon();
        if (client.destroyed && upstream.destroyed) finish();
      });
    }
    client.pause();
    upstream.once('connect', () => {
      connected = true;
      counters.connections++;
      counters.active++;
      registry.add(link);
      flowing('c2s');
    });
    upstream.once('error', () => {
      if (!connected) counters.upstreamFailures++;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
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
    stall: (ms, which) => registry.stall(ms, which),
    stats: () => snapshotCounters(counters),
    async close() {
      if (closing) return;
      closing = true;
      registry.close();
      for (const s of sockets) abort(s);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
