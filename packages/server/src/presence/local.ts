import type { Presence } from './port.ts';

/** Presence of a single node: its own router knows. */
export function createLocalPresence(isLocal: (appKey: string, userId: string) => boolean): Presence {
  return {
    changed: () => undefined,
    isOnline: async (appKey, userId) => isLocal(appKey, userId),
    close: async () => undefined,
  };
}
