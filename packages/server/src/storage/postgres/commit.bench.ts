/**
 * Micro-benchmark of `commitSends` on PostgreSQL (not a test): group commit
 * (batches of 500 single-message 1:1 sends, one batch in flight, as the
 * commit queue does) beside per-message commits (batches of 1), same
 * database, same run; then two nodes group-committing at once. Runs in a throwaway schema.
 *
 *   npx node packages/server/src/storage/postgres/commit.bench.ts [batches]
 */
import { cpus } from 'node:os';
import type { SendInput, Store } from '../port.ts';
import { createPostgresStore } from './store.ts';
import { POSTGRES_URL, dropSchema, freshSchemaName } from './pg.fixture.ts';

const batches = Number(process.argv[2] ?? 40);
const content = new TextEncoder().encode('x'.repeat(120));
let counter = 0;

/** `size` sends, each the next message of its own 1:1 conversation (a{i} to b{i}). */
function make(size: number, round: number, tag: string): SendInput[] {
  return Array.from({ length: size }, (_, i) => {
    const n = counter++;
    return {
      appKey: 'bench',
      convId: `p:${tag}a${i}:${tag}b${i}`,
      kind: 'private',
      members: [`${tag}a${i}`, `${tag}b${i}`],
      senderId: `${tag}a${i}`,
      senderDevice: 'd1',
      clientMsgId: `c${n}`,
      senderSeq: round + 1,
      type: 'text',
      content,
      flags: 0,
      msgId: `m${tag}${n}`,
      ts: Date.now(),
    };
  });
}

/** Commits `rounds` batches of `size` one after the other; returns msgs/s over the last 3/4. */
async function measure(store: Store, size: number, rounds: number, tag: string): Promise<number> {
  const warm = Math.floor(rounds / 4);
  let t0 = 0n;
  for (let r = 0; r < rounds; r++) {
    if (r === warm) t0 = process.hrtime.bigint();

    const out = await store.commitSends(make(size, r, tag));
    if (out.some((o) => o.status !== 'stored')) throw new Error(`${tag}: not every send was stored`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return ((rounds - warm) * size) / seconds;
}

const schema = freshSchemaName();
const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 2 });
try {
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, ${POSTGRES_URL}`);
  const group = await measure(store, 500, batches, 'g');
  console.log(`group commit, batches of 500 1:1 sends: ${Math.round(group)} msgs/s`);
  const single = await measure(store, 1, batches * 50, 's');
  console.log(`per-message commit (batches of 1):      ${Math.round(single)} msgs/s`);
  console.log(`ratio: ${(group / single).toFixed(1)}x`);
  // Two nodes (two pools), each with one batch in flight, on disjoint conversations.
  const second = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 2 });
  try {
    const both = await Promise.all([measure(store, 500, batches, 'x'), measure(second, 500, batches, 'y')]);
    console.log(`group commit, 2 nodes at once:          ${Math.round(both[0] + both[1])} msgs/s in total`);
  } finally {
    await second.close();
  }
} finally {
  await store.close();
  await dropSchema(schema);
}
