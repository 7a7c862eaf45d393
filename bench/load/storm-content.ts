/**
 * Content of storm message `seq` of conversation `conv` of client `client`:
 * the three numbers (uint32 LE) then filler, so the generator can check every
 * message it pulls is exactly the one expected.
 */
export function stormContent(client: number, conv: number, seq: number, bytes: number): Buffer {
  const b = Buffer.alloc(Math.max(12, bytes), 0x2e);
  b.writeUInt32LE(client, 0);
  b.writeUInt32LE(conv, 4);
  b.writeUInt32LE(seq, 8);
  return b;
}

/** The user id of storm client `i` and of its peer in conversation `c`. */
export const stormUser = (i: number): string => `u${i}`;
export const stormPeer = (i: number, c: number): string => `p${i}x${c}`;
