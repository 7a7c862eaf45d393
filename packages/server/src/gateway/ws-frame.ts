/**
 * WebSocket framing done once per shared frame. A push fanned out to many
 * sockets (a chatroom message, a group message) is the same bytes for every
 * recipient, so its unmasked binary WebSocket frame (header + payload) is
 * built once, cached against the payload object, and written as is to each
 * socket. Server-to-client frames are never masked (RFC 6455 5.1), so the
 * bytes are identical for every connection.
 */
const framed = new WeakMap<Uint8Array, Buffer>();

/** Bytes of the header of an unmasked WebSocket frame with an `n`-byte payload. */
export function wsHeaderBytes(n: number): number {
  return n < 126 ? 2 : n < 65_536 ? 4 : 10;
}

/** Writes the header of an unmasked binary frame (FIN set) with an `n`-byte payload at the start of `out`. */
export function writeWsBinaryHeader(out: Buffer, n: number): void {
  out[0] = 0x82;
  if (n < 126) out[1] = n;
  else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
}

/** The complete binary WebSocket frame carrying `payload` (FIN set, no mask). */
export function wsBinaryFrame(payload: Uint8Array): Buffer {
  let f = framed.get(payload);
  if (f) return f;
  const n = payload.byteLength;
  const head = wsHeaderBytes(n);
  f = Buffer.allocUnsafe(head + n);
  writeWsBinaryHeader(f, n);
  f.set(payload, head);
  framed.set(payload, f);
  return f;
}
