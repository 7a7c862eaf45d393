import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import type { StoredMessage } from '../port.ts';
import type { RangeReply, RangeRequest } from './range-worker.ts';

/** Options of {@link createRangeReader}. */
export interface RangeReaderOptions {
  /** The database file (a real file: the worker opens its own connection to it). */
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** Reads in the worker at most; beyond, the caller reads in place (bounded, never queued). */
  readonly maxInFlight: number;
}

/**
 * Range reads (the messages a device pulls) on a worker thread with its own
 * connection to the database file, content opened there too: a sync storm's
 * SQLite reads and AES-GCM opening run beside the event loop instead of on
 * it. WAL mode lets that connection read while the main one writes, and each
 * read sees every transaction committed before it started, so a pull that
 * follows a send's ack sees the message, as with one connection. The worker
 * starts on first use and never holds the process open; if it fails, its
 * reads fail and the next ones start a new one.
 */
export function createRangeReader(o: RangeReaderOptions) {
  let worker: Worker | undefined;
  let nextId = 1;
  let nextHandle = 1;
  const handles = new WeakMap<KeyObject, number>();
  /** Handles the current worker holds. */
  let sent = new Set<number>();
  const waiting = new Map<number, { appKey: string; convId: string; resolve: (r: StoredMessage[]) => void; reject: (err: Error) => void }>();
  let closed = false;
  let drained: (() => void) | undefined;

  function answer(r: RangeReply): void {
    const p = waiting.get(r.id);
    if (!p) return;
    waiting.delete(r.id);
    if (waiting.size === 0) drained?.();
    if (!r.ok) return p.reject(new Error(r.message));
    const out: StoredMessage[] = [];
    const { strings: s, numbers: n, ends } = r;
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      out.push({
        appKey: p.appKey,
        convId: p.convId,
        seq: n[i * 4]!,
        msgId: s[i * 5]!,
        senderId: s[i * 5 + 1]!,
        senderDevice: s[i * 5 + 2]!,
        clientMsgId: s[i * 5 + 3]!,
        senderSeq: n[i * 4 + 1]!,
        type: s[i * 5 + 4]!,
        content: new Uint8Array(r.packed, start, ends[i]! - start),
        ts: n[i * 4 + 2]!,
        flags: n[i * 4 + 3]!,
      });
      start = ends[i]!;
    }
    p.resolve(out);
  }

  function start(): Worker {
    const w = new Worker(new URL('./range-worker.ts', import.meta.url), { workerData: { path: o.path, busyTimeoutMs: o.busyTimeoutMs } });
    w.unref();
    w.on('message', answer);
    const gone = (err: Error): void => {
      if (worker !== w) return;
      worker = undefined;
      sent = new Set();
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
      drained?.();
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`range reader worker exited with ${code}`)));
    return w;
  }

  return {
    /**
     * Reads messages `fromSeq..toSeq` (at most `limit`, and `maxBytes` as
     * Store.readRange says) of a conversation,
     * content opened with the app's data keys (none: stored as is).
     * Undefined when the worker is busy or closed: the caller reads in place.
     */
    read(
      appKey: string,
      convId: string,
      fromSeq: number,
      toSeq: number,
      limit: number,
      maxBytes: number,
      dataKeys: ReadonlyMap<number, KeyObject> | undefined,
    ): Promise<StoredMessage[]> | undefined {
      if (closed || waiting.size >= o.maxInFlight) return undefined;
      worker ??= start();
      const newKeys: [number, KeyObject][] = [];
      const keys: [number, number][] = [];
      for (const [keyId, key] of dataKeys ?? []) {
        let h = handles.get(key);
        if (h === undefined) handles.set(key, (h = nextHandle++));
        if (!sent.has(h)) {
          sent.add(h);
          newKeys.push([h, key]);
        }
        keys.push([keyId, h]);
      }
      const id = nextId++;
      const req: RangeRequest = { id, appKey, convId, fromSeq, toSeq, limit, maxBytes, newKeys, ...(dataKeys ? { keys } : {}) };
      return new Promise<StoredMessage[]>((resolve, reject) => {
        waiting.set(id, { appKey, convId, resolve, reject });
        worker!.postMessage(req);
      });
    },
    /** Lets the reads in flight finish, then closes the worker's connection and the worker. */
    async close(): Promise<void> {
      closed = true;
      if (waiting.size > 0 && worker) await new Promise<void>((resolve) => (drained = resolve));
      const w = worker;
      worker = undefined;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage('close');
      const timer = setTimeout(() => void w.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Range reads on a worker thread. */
export type RangeReader = ReturnType<typeof createRangeReader>;
