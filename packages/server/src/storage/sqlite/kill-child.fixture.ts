/**
 * Child process of the kill -9 durability test (not a test itself): opens the
 * store at argv[2] and commits batches of 50 sends into g:crash of app argv[3]
 * until it is killed, printing "committed <last senderSeq>" after each commit.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { SendInput } from '../port.ts';
import { createSqliteStore } from './store.ts';

const [, , path, appKey] = process.argv;
if (path === undefined || appKey === undefined) throw new Error('usage: kill-child.fixture.ts <path> <appKey>');
const store = await createSqliteStore({ path });
let senderSeq = 0;
for (;;) {
  const batch: SendInput[] = [];
  for (let i = 0; i < 50; i++) {
    senderSeq++;
    batch.push({
      appKey,
      convId: 'g:crash',
      kind: 'group',
      members: ['u1', 'u2'],
      senderId: 'u1',
      senderDevice: 'd1',
      clientMsgId: `c${senderSeq}`,
      senderSeq,
      type: 'text',
      content: new TextEncoder().encode(`m${senderSeq}`),
      flags: 0,
      msgId: `${appKey}-m${senderSeq}`,
      ts: Date.now(),
    });
  }
  await store.commitSends(batch);
  // Pipes are written synchronously on POSIX: the line is out before the next batch.
  process.stdout.write(`committed ${senderSeq}\n`);
  await yieldToLoop();
}
