import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type SendInput } from '@tidings/server';
import { privateConvId } from '@tidings/protocol';
import { readRuntime, startTidings, type TidingsRuntime } from '../lib/tidings-server.ts';
import { stormContent, stormPeer, stormUser } from './storm-content.ts';

/** A data directory holding the storm's missed messages, ready for `tidings start`. */
export interface PreparedStorm {
  readonly dataDir: string;
  readonly runtime: TidingsRuntime;
  readonly messages: number;
  readonly prepMs: number;
}

/** How the offline backlog is shaped. */
export interface StormShape {
  readonly clients: number;
  /** Conversations per client; each a private one with its own peer. */
  readonly convs: number;
  /** Messages per conversation (so each client misses convs x perConv). */
  readonly perConv: number;
  readonly contentBytes: number;
}

/**
 * Writes every missed message BEFORE the server starts, through the storage
 * port's own `commitSends` (the group-commit path the server uses: seq,
 * message row, dedupe record and both members' change index in one
 * transaction per batch), into the SQLite file of a fresh data directory.
 * The node is started once first so it creates the schema, its dev app and
 * its master key; the store is opened with that key (content encrypted at rest).
 */
export async function prepareStorm(root: string, shape: StormShape, batchSize = 2000): Promise<PreparedStorm> {
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-storm-'));
  const first = await startTidings({ root, dataDir });
  const runtime = readRuntime(first.runtimeFile!);
  await first.stop();
  // Content is encrypted at rest under the node's master key (embedded mode keeps it in <dataDir>/master.key):
  // open the store with the same key, so the rows are exactly what the node itself would have written.
  const keyFile = join(dataDir, 'master.key');
  const masterKey = existsSync(keyFile) ? Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64') : undefined;
  const store = await createSqliteStore({ path: join(dataDir, 'tidings.db'), ...(masterKey ? { masterKey } : {}) });
  const appKey = runtime.devApp.appKey;
  const ts = Date.now();
  let batch: SendInput[] = [];
  let messages = 0;
  const flush = async (): Promise<void> => {
    const out = await store.commitSends(batch);
    const bad = out.findIndex((r) => r.status !== 'stored');
    if (bad >= 0) throw new Error(`prepare: send ${JSON.stringify(batch[bad]?.clientMsgId)} was ${out[bad]?.status}, not stored`);
    messages += batch.length;
    batch = [];
  };
  try {
    for (let i = 0; i < shape.clients; i++) {
      const user = stormUser(i);
      for (let c = 0; c < shape.convs; c++) {
        const peer = stormPeer(i, c);
        const convId = privateConvId(user, peer);
        for (let k = 1; k <= shape.perConv; k++) {
          batch.push({
            appKey, convId, kind: 'private', members: [peer, user], senderId: peer, senderDevice: 'd1',
            clientMsgId: `s${k}`, senderSeq: k, type: 'text', content: stormContent(i, c, k, shape.contentBytes), flags: 0,
            msgId: `storm-${i}-${c}-${k}`, ts,
          });
          if (batch.length >= batchSize) await flush();
        }
      }
    }
    if (batch.length) await flush();
  } finally {
    await store.close();
  }
  return { dataDir, runtime, messages, prepMs: performance.now() - started };
}
