import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { openContent } from './envelope.ts';
import type { OpenReply, OpenRequest } from './open-worker.ts';

/** One sealed blob to open, with the data key its header names. */
export interface SealedItem {
  readonly seq: number;
  readonly sealed: Uint8Array;
  readonly key: KeyObject;
}

/** Options of {@link createContentOpener}. */
export interface ContentOpenerOptions {
  /** Batches smaller than this are opened at once on the calling thread (a hop would cost more). */
  readonly minBatch: number;
  /** Batches in the worker at most; beyond, the calling thread opens them itself (bounded, never queued). */
  readonly maxInFlight: number;
}

/** Defaults: a pull answer of tens of messages goes to the worker, a single message does not. */
export const OPENER_DEFAULTS: ContentOpenerOptions = { minBatch: 8, maxInFlight: 512 };

/**
 * Opens batches of sealed message contents on a worker thread, so a sync
 * storm's decryption (a few microseconds per message, every pulled message)
 * runs beside the event loop instead of on it. The worker starts on first
 * use and never holds the process open; if it fails, its batches fail and
 * the next ones start a new one. Each batch is opened exactly as
 * {@link openContent} would (same bindings, same tamper checks).
 */
export function createContentOpener(o: ContentOpenerOptions = OPENER_DEFAULTS) {
  let worker: Worker | undefined;
  let nextId = 1;
  let nextHandle = 1;
  const handles = new WeakMap<KeyObject, number>();
  /** Handles the current worker holds. */
  let sent = new Set<number>();
  const waiting = new Map<number, { resolve: (r: Uint8Array[]) => void; reject: (err: Error) => void }>();
  let closed = false;
  let drained: (() => void) | undefined;

  const failAll = (err: Error): void => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };

  function start(): Worker {
    const w = new Worker(new URL('./open-worker.ts', import.meta.url));
    w.unref();
    w.on('message', (r: OpenReply) => {
      const p = waiting.get(r.id);
      if (!p) return;
      waiting.delete(r.id);
      if (waiting.size === 0) drained?.();
      if (!r.ok) return p.reject(new Error(r.message));
      const out: Uint8Array[] = [];
      let start = 0;
      for (const end of r.ends) {
        out.push(new Uint8Array(r.packed, start, end - start));
        start = end;
      }
      p.resolve(out);
    });
    const gone = (err: Error): void => {
      if (worker !== w) return;
      worker = undefined;
      sent = new Set();
      failAll(err);
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`content opener worker exited with ${code}`)));
    return w;
  }

  const openHere = (appKey: string, convId: string, items: readonly SealedItem[]): Uint8Array[] =>
    items.map((it) => openContent(it.key, appKey, convId, it.seq, it.sealed));

  return {
    /** Opens the sealed contents of messages of (appKey, convId), in order. */
    async open(appKey: string, convId: string, items: readonly SealedItem[]): Promise<Uint8Array[]> {
      if (closed || items.length < o.minBatch || waiting.size >= o.maxInFlight) return openHere(appKey, convId, items);
      worker ??= start();
      const seqs: number[] = [];
      const keys: number[] = [];
      const newKeys: [number, KeyObject][] = [];
      const ends = new Uint32Array(items.length);
      let total = 0;
      items.forEach((it, i) => {
        let h = handles.get(it.key);
        if (h === undefined) handles.set(it.key, (h = nextHandle++));
        if (!sent.has(h)) {
          sent.add(h);
          newKeys.push([h, it.key]);
        }
        seqs.push(it.seq);
        keys.push(h);
        total += it.sealed.byteLength;
        ends[i] = total;
      });
      const packed = new Uint8Array(total);
      items.forEach((it, i) => packed.set(it.sealed, i === 0 ? 0 : ends[i - 1]!));
      const id = nextId++;
      const req: OpenRequest = { id, appKey, convId, seqs, keys, newKeys, packed: packed.buffer, ends };
      return new Promise<Uint8Array[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker!.postMessage(req, [packed.buffer]);
      });
    },
    /** Lets the batches in flight finish, then stops the worker; later batches are opened on the calling thread. */
    async close(): Promise<void> {
      closed = true;
      if (waiting.size > 0 && worker) await new Promise<void>((resolve) => (drained = resolve));
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}

/** Opens sealed contents, on a worker thread for batches. */
export type ContentOpener = ReturnType<typeof createContentOpener>;
