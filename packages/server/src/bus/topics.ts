/** Topic of a user's devices within an app. */
export function userTopic(appKey: string, userId: string): string {
  return `u.${appKey}.${userId}`;
}
