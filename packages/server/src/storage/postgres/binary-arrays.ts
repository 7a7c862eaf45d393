/**
 * One-dimensional arrays as PostgreSQL binary parameters (`array_recv`
 * format). `pg` sends a Buffer parameter in binary format, so the hot path's
 * `unnest($n::text[])` parameters skip the text array literal: no quoting and
 * escaping in Node, no hex for bytea, no parsing of the literal in the
 * backend. Measured on the 500-send batch of `commit.bench.ts`, the text
 * literals cost more than every index insert of the batch together.
 *
 * Layout: ndim, has-null flag, element type oid, then (length, lower bound)
 * per dimension, then each element as a 4-byte length and its bytes. Nulls
 * are not needed by the hot path and not supported.
 */

const OID = { bool: 16, bytea: 17, int8: 20, int4: 23, text: 25 } as const;
const HEADER = 20;

function header(buf: Buffer, oid: number, n: number): number {
  if (n === 0) {
    buf.writeInt32BE(0, 0);
    buf.writeInt32BE(0, 4);
    buf.writeInt32BE(oid, 8);
    return 12;
  }
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(0, 4);
  buf.writeInt32BE(oid, 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16);
  return HEADER;
}

/** A `text[]` parameter. */
export function textArray(values: readonly string[]): Buffer {
  let size = HEADER;
  for (const v of values) size += 4 + Buffer.byteLength(v);
  const buf = Buffer.allocUnsafe(size);
  let at = header(buf, OID.text, values.length);
  for (const v of values) {
    const len = buf.write(v, at + 4);
    buf.writeInt32BE(len, at);
    at += 4 + len;
  }
  return buf.subarray(0, at);
}

/** A `bytea[]` parameter. */
export function byteaArray(values: readonly Uint8Array[]): Buffer {
  let size = HEADER;
  for (const v of values) size += 4 + v.byteLength;
  const buf = Buffer.allocUnsafe(size);
  let at = header(buf, OID.bytea, values.length);
  for (const v of values) {
    buf.writeInt32BE(v.byteLength, at);
    buf.set(v, at + 4);
    at += 4 + v.byteLength;
  }
  return buf.subarray(0, at);
}

/** A `bigint[]` parameter; every value must be a safe integer. */
export function int8Array(values: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + values.length * 12);
  let at = header(buf, OID.int8, values.length);
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`bigint parameter must be a safe integer, got ${String(v)}`);
    const high = Math.floor(v / 0x1_0000_0000);
    buf.writeInt32BE(8, at);
    buf.writeInt32BE(high, at + 4);
    buf.writeUInt32BE(v - high * 0x1_0000_0000, at + 8);
    at += 12;
  }
  return buf.subarray(0, at);
}

/** An `integer[]` parameter. */
export function int4Array(values: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + values.length * 8);
  let at = header(buf, OID.int4, values.length);
  for (const v of values) {
    buf.writeInt32BE(4, at);
    buf.writeInt32BE(v, at + 4);
    at += 8;
  }
  return buf.subarray(0, at);
}

/** A `boolean[]` parameter. */
export function boolArray(values: readonly boolean[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + values.length * 5);
  let at = header(buf, OID.bool, values.length);
  for (const v of values) {
    buf.writeInt32BE(1, at);
    buf.writeUInt8(v ? 1 : 0, at + 4);
    at += 5;
  }
  return buf.subarray(0, at);
}
