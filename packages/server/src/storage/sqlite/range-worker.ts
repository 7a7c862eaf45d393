// Worker thread of the SQLite range reader (range-reader.ts): runs range
// reads on its own connection to the database file and opens their content,
// off the event loop. Answers travel as a few arrays and one transferred
// buffer of contents; data keys arrive once, as KeyObjects, under a handle.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import type { KeyObject } from 'node:crypto';
import { openContent, sealedKeyId } from '../../crypto/envelope.ts';
import { RANGE_SQL, readRangeRows } from './statements.ts';

/** One range read. */
export interface RangeRequest {
  readonly id: number;
  readonly appKey: string;
  readonly convId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly limit: number;
  /** Stop before the row that would bring the page past this many bytes (see Store.readRange; Infinity: no cut). */
  readonly maxBytes: number;
  /** Handle of each data key id of the app (absent: content is not encrypted). */
  readonly keys?: readonly (readonly [keyId: number, handle: number])[];
  /** Keys the worker has not been sent yet. */
  readonly newKeys: readonly (readonly [number, KeyObject])[];
}

/** The rows of a range read, by column, or why not. */
export type RangeReply =
  | {
      readonly id: number;
      readonly ok: true;
      /** msgId, senderId, senderDevice, clientMsgId, type per row. */
      readonly strings: string[];
      /** seq, senderSeq, ts, flags per row. */
      readonly numbers: Float64Array;
      /** The opened contents, concatenated; `ends` per row. */
      readonly packed: ArrayBuffer;
      readonly ends: Uint32Array;
    }
  | { readonly id: number; readonly ok: false; readonly message: string };

const db = new DatabaseSync((workerData as { path: string; busyTimeoutMs: number }).path, { timeout: (workerData as { busyTimeoutMs: number }).busyTimeoutMs });
const stmt = db.prepare(RANGE_SQL);
stmt.setReturnArrays(true);
const keys = new Map<number, KeyObject>();

function read(r: RangeRequest): RangeReply {
  for (const [h, k] of r.newKeys) keys.set(h, k);
  const byId = r.keys ? new Map(r.keys) : undefined;
  const rows = readRangeRows(stmt, r.appKey, r.convId, r.fromSeq, r.toSeq, r.limit, r.maxBytes);
  const strings: string[] = [];
  const numbers = new Float64Array(rows.length * 4);
  const contents: Uint8Array[] = [];
  let total = 0;
  rows.forEach((row, i) => {
    const [seq, msgId, senderId, senderDevice, clientMsgId, senderSeq, type, stored, ts, flags] = row;
    strings.push(msgId, senderId, senderDevice, clientMsgId, type);
    numbers.set([seq, senderSeq, ts, flags], i * 4);
    let content = stored;
    const keyId = byId ? sealedKeyId(stored) : undefined;
    // Empty (recalled) content and rows written before encryption was on are stored as is.
    if (keyId !== undefined) {
      const key = keys.get(byId!.get(keyId) ?? -1);
      if (!key) throw new Error(`app ${r.appKey} has no data key ${keyId}`);
      content = openContent(key, r.appKey, r.convId, seq, stored);
    }
    contents.push(content);
    total += content.byteLength;
  });
  const out = new Uint8Array(total);
  const ends = new Uint32Array(contents.length);
  let at = 0;
  contents.forEach((c, i) => {
    out.set(c, at);
    at += c.byteLength;
    ends[i] = at;
  });
  return { id: r.id, ok: true, strings, numbers, packed: out.buffer, ends };
}

parentPort!.on('message', (r: RangeRequest | 'close') => {
  if (r === 'close') {
    db.close();
    return void parentPort!.close();
  }
  let reply: RangeReply;
  try {
    reply = read(r);
  } catch (err) {
    reply = { id: r.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply, reply.ok ? [reply.packed] : []);
});
