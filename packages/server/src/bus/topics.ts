/** Topic every node subscribes to: user deletions, blocks and revocations made through one node's API (services/user-state.ts). */
export const USER_CONTROL_TOPIC = 'c.users';

/** Topic of a user's devices within an app. */
export function userTopic(appKey: string, userId: string): string {
  return `u.${appKey}.${userId}`;
}
