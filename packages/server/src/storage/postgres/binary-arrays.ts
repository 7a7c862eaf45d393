/**
 * One-dimensional arrays as PostgreSQL binary parameters (`array_recv`
 * format). `pg` sends a Buffer parameter in binary format, so the hot path's
 * `unnest($n::text[])` parameters skip the text array literal: no quoting and
 * escaping in Node, no hex for bytea (sealed content travels as is, not
 * doubled), no parsing of the literal in the backend.
 *
 * Layout: ndim, has-null flag, element type oid, then (length, lower bound)
 * per dimension, then each element as a 4-byte length and its bytes. Nulls
 * are not needed by the hot path and not supported.
 */

const OID = { bytea: 17, int8: 20, int4: 23, text: 25 } as const;
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

/**
 * A `text[]` parameter. One pass: the buffer is sized for the worst case (3
 * UTF-8 bytes per UTF-16 code unit), so each string is encoded once, straight
 * into place, instead of measured first.
 */
export function textArray(values: readonly string[]): Buffer {
  let size = HEADER;
  for (const v of values) size += 4 + 3 * v.length;
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

/** An array of fixed-width elements: `width` bytes each, written by `write`. */
function fixedWidth(oid: number, width: number, values: readonly number[], write: (buf: Buffer, at: number, v: number) => void): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + values.length * (4 + width));
  let at = header(buf, oid, values.length);
  for (const v of values) {
    buf.writeInt32BE(width, at);
    write(buf, at + 4, v);
    at += 4 + width;
  }
  return buf.subarray(0, at);
}

/** A `bigint[]` parameter; every value must be a safe integer. */
export function int8Array(values: readonly number[]): Buffer {
  return fixedWidth(OID.int8, 8, values, (buf, at, v) => {
    if (!Number.isSafeInteger(v)) throw new RangeError(`bigint parameter must be a safe integer, got ${String(v)}`);
    const high = Math.floor(v / 0x1_0000_0000);
    buf.writeInt32BE(high, at);
    buf.writeUInt32BE(v - high * 0x1_0000_0000, at + 4);
  });
}

/** An `integer[]` parameter. */
export function int4Array(values: readonly number[]): Buffer {
  return fixedWidth(OID.int4, 4, values, (buf, at, v) => buf.writeInt32BE(v, at));
}
