// Reconnect-and-sync storm generator, run as its own process:
//   node bench/load/storm-gen.ts --target tidings|ws --url U [--runtime F] --clients N --convs C --per-conv M
// Issues every token first and prints `ready`; on `go` (stdin) opens all N
// sockets at once (rotating 127.0.0.x sources) and, per client, follows the
// delivery protocol as a light client: sync from cursor 0, pull each
// conversation's missing range (again while has_more), check every message is
// the next seq with exactly the content prepared for it, then ack it
// cumulatively. A dropped socket is reopened (bounded) and resumes from its
// cursors. Prints one `result` line. `--target ws` only connects (baseline).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, privateConvId } from '@tidings/protocol';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.ts';
import { sourceAddress } from '../lib/source-addr.ts';
import { stormPeer, stormUser } from './storm-content.ts';
import { scanPullResult, type PullScan } from './storm-wire.ts';
import { BODY, scanFrame, type Scan } from './wire.ts';

/** What the generator prints last. */
export interface StormGenResult {
  readonly type: 'result';
  readonly clients: number;
  /** Clients that received every message they missed. */
  readonly synced: number;
  /** From `go` until the last client had synced everything, ms (NaN unless all synced). */
  readonly allSyncedMs: number;
  /** From `go` to the welcome frame (open, for ws), per client, first successful attempt. */
  readonly connect: LatencySummary;
  /** From `go` to the client's last missed message. */
  readonly syncDone: LatencySummary;
  readonly expected: number;
  readonly received: number;
  /** Expected messages never received. */
  readonly lost: number;
  /** Messages received again (seq below the next expected). */
  readonly duplicates: number;
  /** Messages received ahead of a gap, or whose content was not the one prepared for that seq. */
  readonly outOfOrder: number;
  readonly wrongContent: number;
  readonly reconnects: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly syncRequests: number;
  readonly pullRequests: number;
  /** Generator CPU from `go` to the end, fraction of one core. */
  readonly genCpu: number;
}

/** Lines the generator prints. */
export type StormEvent = { readonly type: 'ready' } | StormGenResult;

interface Client {
  readonly i: number;
  readonly user: string;
  readonly token: string;
  readonly convIndex: Map<string, number>;
  readonly next: Uint32Array;
  readonly maxSeq: Uint32Array;
  cursor: bigint;
  syncing: boolean;
  connected: boolean;
  done: boolean;
  attempts: number;
  rid: number;
  ws?: WebSocket;
}

const emit = (e: StormEvent): void => void process.stdout.write(JSON.stringify(e) + '\n');

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      target: { type: 'string', default: 'tidings' },
      url: { type: 'string' },
      runtime: { type: 'string', default: '' },
      clients: { type: 'string', default: '100' },
      convs: { type: 'string', default: '4' },
      'per-conv': { type: 'string', default: '25' },
      'timeout-ms': { type: 'string', default: '120000' },
      'max-attempts': { type: 'string', default: '10' },
      ack: { type: 'boolean', default: true },
    },
  });
  const target = v.target;
  if (target !== 'tidings' && target !== 'ws') throw new Error('--target must be tidings or ws');
  if (!v.url || !/^ws:\/\/127\.0\.0\.1:\d+\//.test(v.url)) throw new Error('--url must be ws://127.0.0.1:<port>/... (traffic stays local)');
  const n = Number(v.clients);
  const convs = Number(v.convs);
  const perConv = Number(v['per-conv']);
  const timeoutMs = Number(v['timeout-ms']);
  const maxAttempts = Number(v['max-attempts']);
  if (!(n >= 1 && n <= 19_000)) throw new Error('--clients must be in [1, 19000]');

  let token = async (_user: string): Promise<string> => 'baseline';
  if (target === 'tidings') {
    const rt = JSON.parse(readFileSync(v.runtime!, 'utf8')) as { devApp: { appKey: string; tokenKey: string } };
    const { issueUserToken } = await import('@tidings/server');
    token = (user) => issueUserToken(rt.devApp, user, 3600);
  }
  const clients: Client[] = [];
  for (let i = 0; i < n; i++) {
    const user = stormUser(i);
    const convIndex = new Map<string, number>();
    for (let c = 0; c < convs; c++) convIndex.set(privateConvId(user, stormPeer(i, c)), c);
    clients.push({
      i, user, token: await token(user), convIndex, next: new Uint32Array(convs).fill(1), maxSeq: new Uint32Array(convs),
      cursor: 0n, syncing: false, connected: false, done: false, attempts: 0, rid: 0,
    });
  }
  emit({ type: 'ready' });
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).on('line', (l) => l.trim() === 'go' && resolve()));

  const c = { received: 0, duplicates: 0, outOfOrder: 0, wrongContent: 0, reconnects: 0, errors: 0, synced: 0, syncReq: 0, pullReq: 0 };
  let firstError: string | undefined;
  const fail = (msg: string): void => {
    c.errors++;
    firstError ??= msg;
  };
  const connectH = new LatencyHistogram();
  const doneH = new LatencyHistogram();
  const scan: Scan = { rid: 0, body: 0, start: 0, end: 0 };
  const pull: PullScan = { convId: '', hasMore: false, maxSeq: 0, messages: [] };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastDone = t0;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));

  const send = (cl: Client, frame: Uint8Array): void => void cl.ws?.send(frame, { binary: true });
  const sync = (cl: Client): void => {
    cl.syncing = true;
    c.syncReq++;
    send(cl, encodeFrame({ rid: ++cl.rid, body: { case: 'sync', value: { cursor: cl.cursor, limit: 500 } } }));
  };
  const pullFrom = (cl: Client, convId: string, k: number): void => {
    c.pullReq++;
    send(cl, encodeFrame({ rid: ++cl.rid, body: { case: 'pull', value: { convId, fromSeq: BigInt(cl.next[k]!), toSeq: BigInt(cl.maxSeq[k]!), limit: 500 } } }));
  };
  const checkDone = (cl: Client): void => {
    if (cl.done || cl.syncing) return;
    for (let k = 0; k < convs; k++) if (cl.next[k]! <= perConv) return;
    cl.done = true;
    c.synced++;
    lastDone = performance.now();
    doneH.recordMs(lastDone - t0);
    if (c.synced === n) finish();
  };
  const onFrame = (cl: Client, d: Buffer): void => {
    if (!scanFrame(d, scan)) return fail('unreadable frame');
    if (scan.body === BODY.welcome) {
      if (!cl.connected) connectH.recordMs(performance.now() - t0);
      cl.connected = true;
      return sync(cl);
    }
    if (scan.body === 17) {
      scanPullResult(d, scan.start, scan.end, pull);
      const k = cl.convIndex.get(pull.convId);
      if (k === undefined) return fail(`pull result for a foreign conversation ${pull.convId}`);
      for (const m of pull.messages) {
        const want = cl.next[k]!;
        if (m.seq < want) {
          c.duplicates++;
          continue;
        }
        if (m.seq > want) c.outOfOrder++;
        if (d.readUInt32LE(m.contentStart) !== cl.i || d.readUInt32LE(m.contentStart + 4) !== k || d.readUInt32LE(m.contentStart + 8) !== m.seq) c.wrongContent++;
        c.received++;
        cl.next[k] = m.seq + 1;
      }
      if (cl.next[k]! <= cl.maxSeq[k]!) pullFrom(cl, pull.convId, k);
      else if (v.ack && pull.messages.length) send(cl, encodeFrame({ rid: 0, body: { case: 'deliveryAck', value: { convId: pull.convId, seq: BigInt(cl.next[k]! - 1) } } }));
      return checkDone(cl);
    }
    const r = decodeFrame(d);
    if (!r.ok) return fail(`undecodable frame: ${r.message}`);
    const body = r.frame.body;
    if (body.case === 'syncResult') {
      for (const s of body.value.conversations) {
        const k = cl.convIndex.get(s.convId);
        if (k === undefined) {
          fail(`sync names a foreign conversation ${s.convId}`);
          continue;
        }
        const max = Number(s.maxSeq);
        const pending = cl.next[k]! <= cl.maxSeq[k]!;
        cl.maxSeq[k] = Math.max(cl.maxSeq[k]!, max);
        if (!pending && cl.next[k]! <= max) pullFrom(cl, s.convId, k);
      }
      cl.cursor = body.value.cursor;
      if (body.value.hasMore) return sync(cl);
      cl.syncing = false;
      return checkDone(cl);
    }
    if (body.case === 'error') fail(`error frame ${body.value.code}: ${body.value.message}`);
    // pushes, pongs: nothing to do (nobody sends during the storm)
  };
  const open = (cl: Client): void => {
    cl.attempts++;
    const query = target === 'tidings' ? '?device=d1' : `?device=d1&user=${cl.user}&peer=-`;
    const protocols = target === 'tidings' ? ['tidings.v1', 'tidings.token.' + cl.token] : ['tidings.v1'];
    const ws = new WebSocket(v.url + query, protocols, { perMessageDeflate: false, localAddress: sourceAddress(cl.i), handshakeTimeout: 30_000 });
    cl.ws = ws;
    ws.on('message', (d: Buffer) => onFrame(cl, d));
    if (target === 'ws')
      ws.once('open', () => {
        connectH.recordMs(performance.now() - t0);
        cl.connected = true;
        cl.next.fill(perConv + 1);
        checkDone(cl);
      });
    ws.on('error', (err) => firstError ??= `socket: ${err.message}`);
    ws.once('close', () => {
      if (cl.done || stopped) return;
      c.reconnects++;
      cl.syncing = false;
      if (cl.attempts >= maxAttempts) return fail(`${cl.user}: gave up after ${cl.attempts} attempts`);
      // A real client backs off with jitter; so does this one (bounded by --max-attempts).
      setTimeout(() => open(cl), 200 * cl.attempts + Math.random() * 300);
    });
  };
  let stopped = false;
  for (const cl of clients) open(cl);
  const timer = setTimeout(finish, timeoutMs);
  await allDone;
  clearTimeout(timer);
  stopped = true;
  const elapsed = performance.now() - t0;
  const u = process.cpuUsage(cpu0);
  const expected = target === 'tidings' ? n * convs * perConv : 0;
  emit({
    type: 'result', clients: n, synced: c.synced, allSyncedMs: c.synced === n ? lastDone - t0 : NaN,
    connect: connectH.summary(), syncDone: doneH.summary(), expected, received: c.received, lost: expected - c.received,
    duplicates: c.duplicates, outOfOrder: c.outOfOrder, wrongContent: c.wrongContent, reconnects: c.reconnects, errors: c.errors,
    ...(firstError ? { firstError } : {}), syncRequests: c.syncReq, pullRequests: c.pullReq, genCpu: (u.user + u.system) / 1000 / elapsed,
  });
  for (const cl of clients) cl.ws?.terminate();
}

main().then(
  () => setTimeout(() => process.exit(0), 200),
  (err: unknown) => {
    process.stderr.write(`storm-gen: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
