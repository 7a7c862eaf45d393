import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreState, type ClientStore, type OutboxEntry, type StoreOp } from '../store.ts';

/** Options of {@link createFileStore}. */
export interface FileStoreOptions {
  /** The journal file; its directory is created if missing. */
  readonly path: string;
  /** Rewrite the journal once it holds this many more lines than the live state needs (default 1000). */
  readonly compactAfter?: number;
  /** fsync each batch (default true). Off only for tests that do not care about power loss. */
  readonly fsync?: boolean;
}

/** A file-backed store; `compact()` is exposed for tests and tools. */
export interface FileStore extends ClientStore {
  /** Rewrites the journal to the live state (write to a temp file, fsync, rename). */
  compact(): Promise<void>;
}

type Line = { readonly op: 'put'; readonly entry: Omit<OutboxEntry, 'content'> & { readonly content: string } } | Exclude<StoreOp, { op: 'put' }>;

const toLine = (op: StoreOp): Line => (op.op === 'put' ? { op: 'put', entry: { ...op.entry, content: Buffer.from(op.entry.content).toString('base64') } } : op);
const fromLine = (l: Line): StoreOp =>
  l.op === 'put' ? { op: 'put', entry: { ...l.entry, content: new Uint8Array(Buffer.from(l.entry.content, 'base64')) } } : l;

/**
 * Opens (or creates) a store kept in an append-only JSON-lines journal.
 * Writes are group-committed: every mutation issued while a write is in
 * progress goes into the next append and fsync, and each mutation's promise
 * resolves only after its line is on disk. A torn last line (crash
 * mid-write) is ignored at load. When the journal grows `compactAfter` lines
 * past the live state, it is rewritten and atomically renamed over.
 */
export async function createFileStore(options: FileStoreOptions): Promise<FileStore> {
  const path = options.path;
  const fsync = options.fsync ?? true;
  const compactAfter = options.compactAfter ?? 1000;
  await mkdir(dirname(path), { recursive: true });
  const state = new StoreState();
  let lines = 0;
  try {
    const text = await readFile(path, 'utf8');
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        state.apply(fromLine(JSON.parse(raw) as Line));
        lines++;
      } catch {
        break; // torn tail: everything after it was never acknowledged
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let fh: FileHandle = await open(path, 'a');
  let queue: Array<{ line: string; done: () => void; fail: (e: unknown) => void }> = [];
  let writing: Promise<void> | undefined;
  let closed = false;

  const rewrite = async (): Promise<void> => {
    const ops = state.toOps();
    const tmp = `${path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(ops.map((op) => JSON.stringify(toLine(op)) + '\n').join(''));
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, path);
    const dir = await open(dirname(path), 'r').catch(() => undefined);
    await dir?.sync().catch(() => {});
    await dir?.close();
    await fh.close();
    fh = await open(path, 'a');
    lines = ops.length;
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await fh.write(batch.map((b) => b.line).join(''));
        if (fsync) await fh.datasync();
        lines += batch.length;
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
      if (lines - state.toOps().length >= compactAfter) await rewrite().catch(() => {});
    }
    writing = undefined;
  };

  const apply = (op: StoreOp): Promise<void> => {
    if (closed) return Promise.reject(new Error('file store is closed'));
    // Memory first, so a later load() or compaction sees every issued op in order.
    state.apply(op);
    const p = new Promise<void>((done, fail) => queue.push({ line: JSON.stringify(toLine(op)) + '\n', done, fail }));
    writing ??= drain();
    return p;
  };

  return {
    load: () => Promise.resolve(state.snapshot()),
    setDeviceId: (deviceId) => apply({ op: 'device', deviceId }),
    putOutbox: (entry) => apply({ op: 'put', entry }),
    deleteOutbox: (clientMsgId) => apply({ op: 'del', clientMsgId }),
    setNextSenderSeq: (convId, next) => apply({ op: 'sender', convId, next }),
    setLastSeq: (convId, seq) => apply({ op: 'last', convId, seq }),
    setCursor: (cursor) => apply({ op: 'cursor', cursor }),
    compact: async () => {
      await writing;
      await rewrite();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await writing;
      await fh.close();
    },
  };
}
