// Just enough of the Tidings wire format (protobuf Frame) for a load
// generator: encode a SendRequest frame by hand and find fields in received
// frames without decoding them. Field numbers follow proto/tidings/v1/*.proto;
// wire-check.test.ts holds these against @tidings/protocol's real codec.

/** Frame body field numbers the generator cares about. */
export const BODY = { welcome: 10, send: 11, sendAck: 12, push: 13, error: 21 } as const;

const enc = new TextEncoder();

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** The per-sender constant parts of a send frame, encoded once. */
export interface SendTemplate {
  readonly convId: Uint8Array;
  readonly type: Uint8Array;
}

/** Encodes the parts of a SendRequest that never change for one sender. */
export function sendTemplate(convId: string, type = 'text'): SendTemplate {
  return { convId: enc.encode(convId), type: enc.encode(type) };
}

/**
 * Encodes `Frame{version:1, rid, send:{convId, clientMsgId:"m<seq>", senderSeq:seq, type, content}}`.
 * `content` is copied into the frame; the caller patches its own bytes first.
 */
export function encodeSend(t: SendTemplate, rid: number, seq: number, content: Uint8Array): Buffer {
  const clientMsgId = enc.encode(`m${seq}`);
  const inner =
    1 + varintLength(t.convId.length) + t.convId.length +
    1 + varintLength(clientMsgId.length) + clientMsgId.length +
    1 + varintLength(seq) +
    1 + varintLength(t.type.length) + t.type.length +
    1 + varintLength(content.length) + content.length;
  const total = 2 + 1 + varintLength(rid) + 1 + varintLength(inner) + inner;
  const b = Buffer.allocUnsafe(total);
  let p = 0;
  b[p++] = 0x08; // version
  b[p++] = 1;
  b[p++] = 0x10; // rid
  p = putVarint(b, p, rid);
  b[p++] = 0x5a; // field 11 (send), length-delimited
  p = putVarint(b, p, inner);
  const bytes = (tag: number, v: Uint8Array): void => {
    b[p++] = tag;
    p = putVarint(b, p, v.length);
    b.set(v, p);
    p += v.length;
  };
  bytes(0x0a, t.convId);
  bytes(0x12, clientMsgId);
  b[p++] = 0x18; // sender_seq
  p = putVarint(b, p, seq);
  bytes(0x22, t.type);
  bytes(0x2a, content);
  return b;
}

/** Where things are in one scanned frame; reused between calls to avoid garbage. */
export interface Scan {
  rid: number;
  /** Field number of the body (see {@link BODY}), 0 when none. */
  body: number;
  start: number;
  end: number;
}

/** Reads the varint at `pos` into `out` (its value and the position after it). */
export function readVarint(buf: Uint8Array, pos: number, out: { v: number; p: number }): void {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  out.v = v;
  out.p = pos;
}

const tmp = { v: 0, p: 0 };

/**
 * Finds length-delimited field `field` inside `[start, end)`: sets
 * `s.start`/`s.end` to its bytes and returns true, or returns false.
 */
export function findField(buf: Uint8Array, start: number, end: number, field: number, s: Scan): boolean {
  let p = start;
  while (p < end) {
    readVarint(buf, p, tmp);
    const tag = tmp.v;
    p = tmp.p;
    const wire = tag & 7;
    const no = Math.floor(tag / 8);
    if (wire === 0) {
      readVarint(buf, p, tmp);
      p = tmp.p;
    } else if (wire === 2) {
      readVarint(buf, p, tmp);
      if (no === field) {
        s.start = tmp.p;
        s.end = tmp.p + tmp.v;
        return true;
      }
      p = tmp.p + tmp.v;
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else return false;
  }
  return false;
}

/** Reads a frame's rid and locates its body; false when the frame is not understood. */
export function scanFrame(buf: Uint8Array, s: Scan): boolean {
  s.rid = 0;
  s.body = 0;
  let p = 0;
  while (p < buf.length) {
    readVarint(buf, p, tmp);
    const tag = tmp.v;
    p = tmp.p;
    const wire = tag & 7;
    const no = Math.floor(tag / 8);
    readVarint(buf, p, tmp);
    if (wire === 0) {
      if (no === 2) s.rid = tmp.v;
      p = tmp.p;
    } else if (wire === 2) {
      s.body = no;
      s.start = tmp.p;
      s.end = tmp.p + tmp.v;
      p = s.end;
    } else return false;
  }
  return true;
}
