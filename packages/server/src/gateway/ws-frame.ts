/**
 * WebSocket framing done once per shared frame. A push fanned out to many
 * sockets (a chatroom message, a group message) is the same bytes for every
 * recipient, so its unmasked binary WebSocket frame (header + payload) is
 * built once, cached against the payload object, and written as is to each
 * socket. Server-to-client frames are never masked (RFC 6455 5.1), so the
 * bytes are identical for every connection.
 */
const framed = new WeakMap<Uint8Array, Buffer>();

/** The complete binary WebSocket frame carrying `payload` (FIN set, no mask). */
export function wsBinaryFrame(payload: Uint8Array): Buffer {
  let f = framed.get(payload);
  if (f) return f;
  const n = payload.byteLength;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  f = Buffer.allocUnsafe(head + n);
  f[0] = 0x82;
  if (n < 126) f[1] = n;
  else if (n < 65_536) {
    f[1] = 126;
    f.writeUInt16BE(n, 2);
  } else {
    f[1] = 127;
    f.writeBigUInt64BE(BigInt(n), 2);
  }
  f.set(payload, head);
  framed.set(payload, f);
  return f;
}
