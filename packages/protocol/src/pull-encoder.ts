import { PROTOCOL_VERSION } from './limits.ts';

/**
 * A hand-specialised encoder for the hottest server frame: the PullResult
 * answer, whose messages a reconnecting device pulls by the hundred. It
 * writes exactly the bytes the generated (reflection-based) encoder writes
 * for the same frame, field by field in declaration order with proto3's
 * default values left out (pull-encoder.property.test.ts holds the two
 * byte-equal), in one pass over a buffer sized by a first pass, with no
 * intermediate objects and no BigInt. Field numbers are those of
 * proto/tidings/v1/frame.proto and message.proto.
 */

/** A wire Message with its 64-bit fields as safe integers. */
export interface MessageFields {
  readonly convId: string;
  readonly seq: number;
  readonly msgId: string;
  readonly senderId: string;
  readonly senderDevice: string;
  readonly clientMsgId: string;
  readonly type: string;
  readonly content: Uint8Array;
  readonly ts: number;
  readonly flags: number;
  readonly coversTo?: number;
}

/** A PullResult with its 64-bit fields as safe integers. */
export interface PullResultFields {
  readonly convId: string;
  readonly messages: readonly MessageFields[];
  readonly hasMore: boolean;
  readonly maxSeq: number;
}

const utf8 = new TextEncoder();

/** Bytes of a varint of a non-negative safe integer; a negative one is a 10-byte two's complement. */
function varintSize(v: number): number {
  if (v < 0) return 10;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  return 8;
}

/** UTF-8 length of `s` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Size(s: string): number {
  const n = s.length;
  let size = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 2; // the pair: 2 UTF-16 units, 4 bytes
      i++;
    } else size += 2;
  }
  return size;
}

function checkInteger(v: number, what: string, unsigned = true): void {
  if (!Number.isSafeInteger(v) || (unsigned && v < 0)) throw new RangeError(`${what} ${v} is not a safe ${unsigned ? 'non-negative ' : ''}integer`);
}

class Writer {
  readonly buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  varint(v: number): void {
    const b = this.buf;
    if (v < 0) {
      let x = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 9; i++) {
        b[this.pos++] = Number(x & 0x7fn) | 0x80;
        x >>= 7n;
      }
      b[this.pos++] = Number(x);
      return;
    }
    while (v > 0x7fffffff) {
      b[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  bytes(src: Uint8Array): void {
    const n = src.length;
    if (n > 64) this.buf.set(src, this.pos);
    else for (let i = 0; i < n; i++) this.buf[this.pos + i] = src[i]!;
    this.pos += n;
  }

  /** A string of UTF-8 length `size` (computed by the sizing pass). */
  string(s: string, size: number): void {
    const b = this.buf;
    if (size === s.length) {
      // ASCII: one byte per unit.
      let p = this.pos;
      for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      utf8.encodeInto(s, b.subarray(this.pos, this.pos + size));
      this.pos += size;
    }
  }
}

/** Tag byte of field `no` (< 16) with wire type `wire`. */
const tag = (no: number, wire: number): number => (no << 3) | wire;

interface Sized {
  readonly total: number;
  readonly strings: Int32Array;
}

/** Size of a string field (tag, length, bytes), its UTF-8 length stored in `sizes[k]`. */
function stringField(s: string, sizes: Int32Array, k: number): number {
  const l = s.length === 0 ? 0 : utf8Size(s);
  sizes[k] = l;
  return l === 0 ? 0 : 1 + varintSize(l) + l;
}

/** Size of one message's body; its string sizes go to `sizes[at..at+6)`. */
function messageSize(m: MessageFields, sizes: Int32Array, at: number): number {
  checkInteger(m.seq, 'seq');
  checkInteger(m.ts, 'ts', false);
  let n =
    stringField(m.convId, sizes, at) +
    stringField(m.msgId, sizes, at + 1) +
    stringField(m.senderId, sizes, at + 2) +
    stringField(m.senderDevice, sizes, at + 3) +
    stringField(m.clientMsgId, sizes, at + 4) +
    stringField(m.type, sizes, at + 5);
  if (m.seq !== 0) n += 1 + varintSize(m.seq);
  const c = m.content.byteLength;
  if (c > 0) n += 1 + varintSize(c) + c;
  if (m.ts !== 0) n += 1 + varintSize(m.ts);
  if (m.flags !== 0) n += 1 + varintSize(m.flags >>> 0);
  if (m.coversTo) {
    checkInteger(m.coversTo, 'coversTo');
    n += 1 + varintSize(m.coversTo);
  }
  return n;
}

function writeString(w: Writer, no: number, s: string, size: number): void {
  if (size === 0) return;
  w.buf[w.pos++] = tag(no, 2);
  w.varint(size);
  w.string(s, size);
}

function writeMessage(w: Writer, m: MessageFields, sizes: Int32Array, at: number): void {
  writeString(w, 1, m.convId, sizes[at]!);
  if (m.seq !== 0) {
    w.buf[w.pos++] = tag(2, 0);
    w.varint(m.seq);
  }
  writeString(w, 3, m.msgId, sizes[at + 1]!);
  writeString(w, 4, m.senderId, sizes[at + 2]!);
  writeString(w, 5, m.senderDevice, sizes[at + 3]!);
  writeString(w, 6, m.clientMsgId, sizes[at + 4]!);
  writeString(w, 7, m.type, sizes[at + 5]!);
  const c = m.content.byteLength;
  if (c > 0) {
    w.buf[w.pos++] = tag(8, 2);
    w.varint(c);
    w.bytes(m.content);
  }
  if (m.ts !== 0) {
    w.buf[w.pos++] = tag(9, 0);
    w.varint(m.ts);
  }
  if (m.flags !== 0) {
    w.buf[w.pos++] = tag(10, 0);
    w.varint(m.flags >>> 0);
  }
  if (m.coversTo) {
    w.buf[w.pos++] = tag(11, 0);
    w.varint(m.coversTo);
  }
}

/** Size of a PullResult body, its messages' sizes in `bodies`, their strings in `strings`. */
function pullSize(r: PullResultFields, bodies: Int32Array, strings: Int32Array): Sized {
  checkInteger(r.maxSeq, 'maxSeq');
  const conv = utf8Size(r.convId);
  let n = conv > 0 ? 1 + varintSize(conv) + conv : 0;
  for (let i = 0; i < r.messages.length; i++) {
    const b = messageSize(r.messages[i]!, strings, 6 * i + 1);
    bodies[i] = b;
    n += 1 + varintSize(b) + b;
  }
  strings[0] = conv;
  if (r.hasMore) n += 2;
  if (r.maxSeq !== 0) n += 1 + varintSize(r.maxSeq);
  return { total: n, strings };
}

/**
 * Encodes `Frame { version, rid, pullResult }`: the same bytes as
 * `encodeFrame({ rid, body: { case: 'pullResult', value } })` with the
 * 64-bit fields as BigInt.
 *
 * @example
 * ```ts
 * const bytes = encodePullResultFrame(7, { convId: 'p:a:b', messages: [], hasMore: false, maxSeq: 0 });
 * ```
 */
export function encodePullResultFrame(rid: number, r: PullResultFields): Uint8Array {
  const count = r.messages.length;
  const bodies = new Int32Array(count);
  const strings = new Int32Array(1 + 6 * count);
  const body = pullSize(r, bodies, strings).total;
  const rid32 = rid >>> 0;
  // Frame: version (1), rid (2), pull_result (17: a two-byte tag).
  const size = 1 + varintSize(PROTOCOL_VERSION) + (rid32 !== 0 ? 1 + varintSize(rid32) : 0) + 2 + varintSize(body) + body;
  const w = new Writer(size);
  // The version is never 0 (the default proto3 leaves out).
  w.buf[w.pos++] = tag(1, 0);
  w.varint(PROTOCOL_VERSION);
  if (rid32 !== 0) {
    w.buf[w.pos++] = tag(2, 0);
    w.varint(rid32);
  }
  w.varint((17 << 3) | 2);
  w.varint(body);
  const conv = strings[0]!;
  if (conv > 0) {
    w.buf[w.pos++] = tag(1, 2);
    w.varint(conv);
    w.string(r.convId, conv);
  }
  for (let i = 0; i < count; i++) {
    w.buf[w.pos++] = tag(2, 2);
    w.varint(bodies[i]!);
    writeMessage(w, r.messages[i]!, strings, 6 * i + 1);
  }
  if (r.hasMore) {
    w.buf[w.pos++] = tag(3, 0);
    w.buf[w.pos++] = 1;
  }
  if (r.maxSeq !== 0) {
    w.buf[w.pos++] = tag(4, 0);
    w.varint(r.maxSeq);
  }
  if (w.pos !== size) throw new Error(`pull encoder wrote ${w.pos} bytes, sized ${size}`);
  return w.buf;
}
