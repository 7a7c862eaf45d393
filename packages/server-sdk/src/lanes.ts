/** Runs `run` after every earlier call of the same lane has settled. */
export type Lane = <T>(key: string, run: () => Promise<T>) => Promise<T>;

/**
 * Calls made in one conversation run one after another, in call order, so
 * the server commits them in that order even when the caller does not wait.
 */
export function createLanes(): Lane {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, run: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const next = prev.then(run, run);
    const tail = next.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}
