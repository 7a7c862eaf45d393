import { createServerClient } from '@tidings/server-sdk';
import type { TidingsRuntime } from '../lib/tidings-server.ts';

/** Members per group the idle scenario creates (the server API's limit per call). */
export const GROUP_SIZE = 500;

/**
 * Makes each of the users `<prefix>0 .. <prefix><count-1>` a member of
 * `groups` groups through the signed server API (`POST /v1/groups` with its
 * members): layer L holds ceil(count / 500) groups that partition the users,
 * shifted by 97 x L so no two layers group the same users together.
 * Returns the number of groups created.
 */
export async function createIdleGroups(rt: TidingsRuntime, prefix: string, count: number, groups: number, parallel = 4): Promise<number> {
  const client = createServerClient({ baseUrl: rt.httpUrl, appKey: rt.devApp.appKey, appSecret: rt.devApp.appSecret });
  const jobs: Array<{ groupId: string; members: string[] }> = [];
  for (let layer = 0; layer < groups; layer++) {
    for (let b = 0; b * GROUP_SIZE < count; b++) {
      const size = Math.min(GROUP_SIZE, count - b * GROUP_SIZE);
      const members = Array.from({ length: size }, (_, m) => `${prefix}${(b * GROUP_SIZE + m + layer * 97) % count}`);
      jobs.push({ groupId: `idle${layer}x${b}`, members });
    }
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      await client.request({ method: 'POST', path: '/v1/groups', body: { groupId: j.groupId, owner: j.members[0], members: j.members } });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return jobs.length;
}
