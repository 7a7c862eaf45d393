/**
 * JSON for requests between nodes, with byte arrays as `{"$b": base64}`.
 * The replacer reads the raw value: a Buffer's toJSON has already run on `x`.
 */
export const encodeJson = (v: unknown): Uint8Array =>
  new TextEncoder().encode(
    JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
      const raw = this[k];
      return raw instanceof Uint8Array ? { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') } : x;
    }),
  );

/** The value of {@link encodeJson}, byte arrays restored. */
export const decodeJson = <T>(bytes: Uint8Array): T =>
  JSON.parse(new TextDecoder().decode(bytes), (_k, x: unknown) =>
    x !== null && typeof x === 'object' && '$b' in x && typeof (x as { $b: unknown }).$b === 'string' ? new Uint8Array(Buffer.from((x as { $b: string }).$b, 'base64')) : x,
  ) as T;
