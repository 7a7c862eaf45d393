/**
 * Micro-benchmark of group sends (not a test): the cost of the per-member
 * change-index pointers. For groups of 100, 1,000 and 10,000 members it
 * commits batches of 1 and of 20 messages to one group and reports ms per
 * batch and pointer writes per second, on SQLite and PostgreSQL, same run.
 *
 *   npx node packages/server/src/storage/group-commit.bench.ts [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SendInput, Store } from './port.ts';
import { createSqliteStore } from './sqlite/store.ts';
import { createPostgresStore } from './postgres/store.ts';
import { POSTGRES_URL, dropSchema, freshSchemaName } from './postgres/pg.fixture.ts';

const rounds = Number(process.argv[2] ?? 10);
const content = new TextEncoder().encode('x'.repeat(120));
let n = 0;

function input(appKey: string, groupId: string, over: Partial<SendInput>): SendInput {
  n++;
  return {
    appKey, convId: `g:${groupId}`, kind: 'group', members: [], senderId: 'm0', senderDevice: 'bench', clientMsgId: `c${n}`, senderSeq: 0,
    type: 'text', content, flags: 0, msgId: `msg${n}-${appKey}`, ts: Date.now(), group: { check: 'member' }, ...over,
  };
}

async function run(name: string, store: Store): Promise<void> {
  for (const size of [100, 1000, 10_000]) {
    const appKey = `bench${size}${Date.now()}`;
    const users = Array.from({ length: size }, (_, i) => `m${i}`);
    await store.commitSends([input(appKey, 'g', { group: { check: 'none', change: { create: { ownerId: 'm0', name: '', extra: '', historyVisible: false } } } })]);
    for (let i = 0; i < size; i += 500) {
      await store.commitSends([input(appKey, 'g', { group: { check: 'none', change: { add: users.slice(i, i + 500).map((userId) => ({ userId, role: 'member' as const })) } } })]);
    }
    for (const batch of [1, 20]) {
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) await store.commitSends(Array.from({ length: batch }, () => input(appKey, 'g', {})));
      const ms = (performance.now() - t0) / rounds;
      const pointers = (batch * size) / (ms / 1000);
      console.log(`${name.padEnd(10)} group of ${String(size).padStart(6)}: batch of ${String(batch).padStart(2)} msgs ${ms.toFixed(1).padStart(7)} ms/batch, ${(batch / (ms / 1000)).toFixed(0).padStart(6)} msgs/s, ${(pointers / 1e6).toFixed(2)} M pointer writes/s`);
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tidings-gbench-'));
const sqlite = await createSqliteStore({ path: join(dir, 'b.db') });
await run('sqlite', sqlite);
await sqlite.close();
rmSync(dir, { recursive: true, force: true });
const schema = freshSchemaName();
const pg = await createPostgresStore({ url: POSTGRES_URL, schema });
try {
  await run('postgres', pg);
} finally {
  await pg.close();
  await dropSchema(schema);
}
