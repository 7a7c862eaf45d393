// What the storm generator reads from PullResult frames without decoding
// them into objects: per message, its seq and the first bytes of its content
// (field numbers from proto/tidings/v1/frame.proto and message.proto).
// storm-wire.test.ts holds this against @tidings/protocol's real codec.

import { readVarint } from './wire.ts';

const tmp = { v: 0, p: 0 };
const varint = (buf: Uint8Array, pos: number): void => readVarint(buf, pos, tmp);

/**
 * Calls `onField(no, value, start, end)` for each field in `[start, end)`:
 * varints pass their value, length-delimited fields their byte range.
 * Returns false on a wire type it does not know.
 */
export function forEachField(buf: Uint8Array, start: number, end: number, onField: (no: number, value: number, s: number, e: number) => void): boolean {
  let p = start;
  while (p < end) {
    varint(buf, p);
    const no = Math.floor(tmp.v / 8);
    const wire = tmp.v & 7;
    p = tmp.p;
    if (wire === 0) {
      varint(buf, p);
      p = tmp.p;
      onField(no, tmp.v, 0, 0);
    } else if (wire === 2) {
      varint(buf, p);
      const s = tmp.p;
      p = s + tmp.v;
      onField(no, tmp.v, s, p);
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else return false;
  }
  return true;
}

/** One message of a pull result, as the generator checks it. */
export interface PulledMessage {
  seq: number;
  contentStart: number;
  contentEnd: number;
}

/** A scanned PullResult body. */
export interface PullScan {
  convId: string;
  hasMore: boolean;
  maxSeq: number;
  readonly messages: PulledMessage[];
}

/** Scans a PullResult body at `[start, end)` of a frame (the messages array is reused). */
export function scanPullResult(buf: Buffer, start: number, end: number, out: PullScan): void {
  out.convId = '';
  out.hasMore = false;
  out.maxSeq = 0;
  out.messages.length = 0;
  forEachField(buf, start, end, (no, value, s, e) => {
    if (no === 1) out.convId = buf.toString('utf8', s, e);
    else if (no === 3) out.hasMore = value !== 0;
    else if (no === 4) out.maxSeq = value;
    else if (no === 2) {
      const m: PulledMessage = { seq: 0, contentStart: 0, contentEnd: 0 };
      forEachField(buf, s, e, (mno, mv, ms, me) => {
        if (mno === 2) m.seq = mv;
        else if (mno === 8) {
          m.contentStart = ms;
          m.contentEnd = me;
        }
      });
      out.messages.push(m);
    }
  });
}
