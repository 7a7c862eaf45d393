import { randomInt } from 'node:crypto';

/**
 * Globally unique, roughly time-ordered message ids: milliseconds (base36,
 * 9 chars), node number (2 chars), and a per-node counter (5 chars) that
 * starts at a random point, so a restart within the same millisecond cannot
 * repeat an id.
 */
export function createMsgIdGenerator(nodeId: number, now: () => number = Date.now): () => string {
  const node = nodeId.toString(36).padStart(2, '0');
  const WRAP = 36 ** 5;
  let counter = randomInt(WRAP);
  return () => {
    counter = (counter + 1) % WRAP;
    return now().toString(36).padStart(9, '0') + node + counter.toString(36).padStart(5, '0');
  };
}
