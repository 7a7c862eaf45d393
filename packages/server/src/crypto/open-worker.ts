// Worker thread of the content opener (opener.ts): opens batches of sealed
// blobs off the event loop. Input and output travel packed in one transferred
// ArrayBuffer each; data keys arrive once, as KeyObjects, under a handle.
import { parentPort } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { openContent } from './envelope.ts';

/** A batch to open: the blobs of one conversation, concatenated. */
export interface OpenRequest {
  readonly id: number;
  readonly appKey: string;
  readonly convId: string;
  readonly seqs: readonly number[];
  /** Key handle per blob. */
  readonly keys: readonly number[];
  /** Keys the worker has not been sent yet. */
  readonly newKeys: readonly (readonly [number, KeyObject])[];
  readonly packed: ArrayBuffer;
  /** End offset of each blob in `packed`. */
  readonly ends: Uint32Array;
}

/** The opened contents, concatenated, or why not. */
export type OpenReply =
  | { readonly id: number; readonly ok: true; readonly packed: ArrayBuffer; readonly ends: Uint32Array }
  | { readonly id: number; readonly ok: false; readonly message: string };

const keys = new Map<number, KeyObject>();

function open(r: OpenRequest): OpenReply {
  for (const [h, k] of r.newKeys) keys.set(h, k);
  const src = new Uint8Array(r.packed);
  const plain: Uint8Array[] = [];
  let total = 0;
  let start = 0;
  for (let i = 0; i < r.seqs.length; i++) {
    const end = r.ends[i]!;
    const key = keys.get(r.keys[i]!);
    if (!key) throw new Error(`no data key under handle ${r.keys[i]}`);
    const p = openContent(key, r.appKey, r.convId, r.seqs[i]!, src.subarray(start, end));
    plain.push(p);
    total += p.byteLength;
    start = end;
  }
  const out = new Uint8Array(total);
  const ends = new Uint32Array(plain.length);
  let at = 0;
  plain.forEach((p, i) => {
    out.set(p, at);
    at += p.byteLength;
    ends[i] = at;
  });
  return { id: r.id, ok: true, packed: out.buffer, ends };
}

parentPort!.on('message', (r: OpenRequest) => {
  let reply: OpenReply;
  try {
    reply = open(r);
  } catch (err) {
    reply = { id: r.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply, reply.ok ? [reply.packed] : []);
});
