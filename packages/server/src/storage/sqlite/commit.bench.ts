/**
 * Micro-benchmark of `commitSends` (not a test): batches of 500 sends against
 * a temp database, beside a baseline of 500 bare row inserts in one
 * transaction on the same machine and disk.
 *
 *   npx node packages/server/src/storage/sqlite/commit.bench.ts [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SendInput, Store } from '../port.ts';
import { createSqliteStore } from './store.ts';

const BATCH = 500;
const rounds = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
const content = new TextEncoder().encode('x'.repeat(120));

/** Sends of distinct 1:1 conversations, or all into one group of `groupSize` members. */
function batch(round: number, shape: 'private' | 'group', groupSize: number): SendInput[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = `${shape}${groupSize}-${round * BATCH + i}`;
    const group = shape === 'group';
    const senderId = group ? `u${i % groupSize}` : `a${i}`;
    return {
      appKey: 'bench',
      convId: group ? `g:big${groupSize}` : `p:a${i}:b${i}`,
      kind: group ? 'group' : 'private',
      members: group ? Array.from({ length: groupSize }, (_, m) => `u${m}`) : [`a${i}`, `b${i}`],
      senderId,
      senderDevice: 'd1',
      clientMsgId: `c${n}`,
      senderSeq: group ? round * (BATCH / groupSize) + Math.floor(i / groupSize) + 1 : round + 1,
      type: 'text',
      content,
      flags: 0,
      msgId: `m${n}`,
      ts: Date.now(),
    };
  });
}

async function measure(label: string, store: Store, make: (round: number) => SendInput[]): Promise<void> {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const input = make(r);
    const t0 = process.hrtime.bigint();
    const out = await store.commitSends(input);
    times.push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
    if (out.some((o) => o.status !== 'stored')) throw new Error(`${label}: not every send was stored`);
  }
  report(label, times);
}

function report(label: string, times: number[]): void {
  const sorted = times.slice(Math.floor(times.length / 4)).sort((a, b) => a - b); // drop warm-up quarter
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  console.log(`${label.padEnd(44)} ${median.toFixed(2)} us/msg  (${Math.round(1e6 / median)} msg/s, median)`);
}

function baseline(path: string): void {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
  db.exec('CREATE TABLE t (conv TEXT, seq INTEGER, msg_id TEXT UNIQUE, content BLOB, PRIMARY KEY (conv, seq)) STRICT');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < BATCH; i++) insert.run('g:big', r * BATCH + i + 1, `m${r * BATCH + i}`, content);
    db.exec('COMMIT');
    times.push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
  }
  db.close();
  report('baseline: bare insert, 1 table', times);
}

try {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, batches of ${BATCH}, ${rounds} rounds`);
  baseline(join(dir, 'baseline.db'));
  for (const synchronous of ['normal', 'full'] as const) {
    const store = await createSqliteStore({ path: join(dir, `${synchronous}.db`), synchronous });
    await measure(`commitSends ${synchronous}: 500 1:1 conversations`, store, (r) => batch(r, 'private', 2));
    await measure(`commitSends ${synchronous}: 1 group of 10`, store, (r) => batch(r, 'group', 10));
    await measure(`commitSends ${synchronous}: 1 group of 100`, store, (r) => batch(r, 'group', 100));
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
