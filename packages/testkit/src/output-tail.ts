/** A bounded buffer keeping the last bytes of a child's output, for error messages. */

/** Keeps the last `limit` bytes pushed into it. */
export interface Tail {
  push(chunk: Buffer): void;
  text(): string;
}

/** Creates a tail buffer of at most `limit` bytes. */
export function createTail(limit: number): Tail {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > limit * 2) {
        const all = Buffer.concat(chunks);
        chunks = [all.subarray(all.byteLength - limit)];
        size = limit;
      }
    },
    text() {
      const all = Buffer.concat(chunks);
      return all.subarray(Math.max(0, all.byteLength - limit)).toString('utf8');
    },
  };
}
