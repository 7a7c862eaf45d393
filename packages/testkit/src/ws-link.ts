/**
 * One proxied WebSocket connection: a client socket bridged to an upstream
 * socket, with a FIFO per direction so delays and stalls never reorder
 * frames, and closes that travel behind the frames sent before them.
 */
import { WebSocket, type RawData } from 'ws';
import type { Direction, FaultConfig, FaultCounters } from './fault-config.ts';
import { frameCase, judgeFrame } from './frame-rules.ts';
import type { FaultLink } from './link-registry.ts';
import type { Random } from './random.ts';

interface Queued {
  readonly data: Buffer;
  readonly isBinary: boolean;
  readonly due: number;
}

interface PendingClose {
  readonly code: number;
  readonly reason: Buffer;
}

/** What a link needs from its proxy. */
export interface WsLinkOptions {
  readonly client: WebSocket;
  readonly upstream: WebSocket;
  readonly rng: Random;
  readonly counters: FaultCounters;
  /** Read on every frame so `proxy.set()` takes effect at once. */
  readonly config: () => FaultConfig;
  /** Called once, when the link is finished for any reason. */
  readonly onEnd: () => void;
}

/** A live bridged connection. */
export interface WsLink extends FaultLink {
  /** Feeds a frame the upstream sent before the client side was ready. */
  receive(dir: Direction, data: RawData, isBinary: boolean): void;
}

/** Sends a close the ws library accepts; codes that cannot be sent become a drop. */
export function forwardClose(ws: WebSocket, code: number, reason: Buffer): void {
  if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
  const sendable =
    code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  if (code === 1005) ws.close();
  else if (sendable) ws.close(code, reason);
  else ws.terminate();
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Bridges `client` and `upstream` (both open) under the proxy's faults. */
export function createWsLink(opts: WsLinkOptions): WsLink {
  const { client, upstream, rng, counters } = opts;
  const queues: Record<Direction, Queued[]> = { c2s: [], s2c: [] };
  const timers: Record<Direction, NodeJS.Timeout | undefined> = { c2s: undefined, s2c: undefined };
  const closes: Record<Direction, PendingClose | undefined> = { c2s: undefined, s2c: undefined };
  let stalledUntil = 0;
  let ended = false;

  const targetOf = (dir: Direction): WebSocket => (dir === 'c2s' ? upstream : client);

  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timers.c2s);
    clearTimeout(timers.s2c);
    queues.c2s.length = 0;
    queues.s2c.length = 0;
    opts.onEnd();
  };

  const pump = (dir: Direction): void => {
    clearTimeout(timers[dir]);
    timers[dir] = undefined;
    const q = queues[dir];
    const target = targetOf(dir);
    for (;;) {
      const now = Date.now();
      const head = q[0];
      const wait = Math.max(stalledUntil - now, head ? head.due - now : 0);
      if (wait > 0 && (head || closes[dir])) {
        timers[dir] = setTimeout(() => pump(dir), wait);
        return;
      }
      if (!head) break;
      q.shift();
      if (target.readyState === WebSocket.OPEN) target.send(head.data, { binary: head.isBinary });
    }
    const pending = closes[dir];
    if (pending) {
      closes[dir] = undefined;
      forwardClose(target, pending.code, pending.reason);
    }
  };

  const receive = (dir: Direction, raw: RawData, isBinary: boolean): void => {
    if (ended) return;
    counters.frames[dir]++;
    const data = toBuffer(raw);
    const config = opts.config();
    const verdict = judgeFrame(config, rng, dir, isBinary ? frameCase(data) : undefined);
    if (verdict === 'drop' || verdict === 'drop-ack') {
      counters.drops[dir]++;
      if (verdict === 'drop-ack') counters.ackDrops++;
      return;
    }
    const delay = config.delayMs ? rng.jitter(config.delayMs, config.delayJitterMs ?? 0) : 0;
    if (delay > 0) counters.delayed++;
    const item: Queued = { data, isBinary, due: Date.now() + delay };
    queues[dir].push(item);
    if (verdict === 'dup') {
      counters.dups[dir]++;
      queues[dir].push(item);
    }
    if (!timers[dir]) pump(dir);
  };

  const onClose = (dir: Direction) => (code: number, reason: Buffer) => {
    if (ended) return;
    closes[dir] = { code, reason };
    if (!timers[dir]) pump(dir);
  };

  client.on('message', (data, isBinary) => receive('c2s', data, isBinary));
  upstream.on('message', (data, isBinary) => receive('s2c', data, isBinary));
  client.on('close', onClose('c2s'));
  upstream.on('close', onClose('s2c'));
  client.on('error', () => upstream.terminate());
  upstream.on('error', () => client.terminate());
  // The link is finished once both sides are closed (each close relayed).
  const finishWhenBothClosed = (): void => {
    if (client.readyState === WebSocket.CLOSED && upstream.readyState === WebSocket.CLOSED) end();
  };
  client.on('close', finishWhenBothClosed);
  upstream.on('close', finishWhenBothClosed);

  return {
    receive,
    cut() {
      end();
      client.terminate();
      upstream.terminate();
    },
    stall(ms) {
      stallUntil(Date.now() + ms);
    },
  };

  function stallUntil(t: number): void {
    stalledUntil = Math.max(stalledUntil, t);
    pump('c2s');
    pump('s2c');
  }
}
