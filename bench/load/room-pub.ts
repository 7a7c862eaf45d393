// The chatroom/group generator's publisher, in a worker thread so its
// schedule never waits behind the main thread reading thousands of sockets
// (libuv handles up to 48 x 1024 readable sockets per poll phase before
// timers run). Message k is due at t0 + k/rate (the intended instant, on the
// shared clock); its 12-byte content is that instant (f64 LE) and k (u32 LE).
// Posts `ready` once joined, waits for `{t0}`, then posts `done` with the
// count sent in the window and how far sends trailed the schedule.
import { parentPort, workerData } from 'node:worker_threads';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.ts';
import { clientFrame, OP } from './raw-ws.ts';
import { clock, openMember, type RoomTarget } from './room-member.ts';
import { encodeSend, sendTemplate } from './wire.ts';

/** What the main thread passes in. */
export interface PubData {
  readonly target: RoomTarget;
  readonly url: string;
  readonly conv: string;
  readonly token?: string;
  readonly localAddress: string;
  readonly rate: number;
  readonly planned: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What the worker posts when done. */
export interface PubDone {
  readonly type: 'done';
  readonly sent: number;
  readonly sentInWindow: number;
  readonly lag: LatencySummary;
}

const d = workerData as PubData;
const port = parentPort!;
const tpl = sendTemplate(d.conv);
const IO_PUB_HEAD = clientFrame(Buffer.from('451-["pub",{"_placeholder":true,"num":0}]'), OP.text);

function frames(k: number, payload: Buffer): Buffer {
  if (d.target.startsWith('tidings')) return clientFrame(encodeSend(tpl, k + 1, k + 1, payload));
  if (d.target === 'ws') return clientFrame(payload);
  return Buffer.concat([IO_PUB_HEAD, clientFrame(payload)]);
}

const ws = await openMember({ ...d, device: 'pub', onDelivery: () => {}, onClose: () => {} });
port.postMessage({ type: 'ready' });
const t0 = await new Promise<number>((resolve) => port.once('message', (m: { t0: number }) => resolve(m.t0)));
const interval = 1000 / d.rate;
const lag = new LatencyHistogram();
let sent = 0;
let sentInWindow = 0;
await new Promise<void>((resolve) => {
  const tick = (): void => {
    const now = clock();
    for (; sent < d.planned; sent++) {
      const intended = t0 + sent * interval;
      if (intended > now) break;
      const payload = Buffer.allocUnsafe(12);
      payload.writeDoubleLE(intended, 0);
      payload.writeUInt32LE(sent, 8);
      ws.write(frames(sent, payload));
      if (intended >= t0 + d.warmupMs && intended < t0 + d.warmupMs + d.durationMs) {
        sentInWindow++;
        lag.recordMs(now - intended);
      }
    }
    if (sent >= d.planned) return resolve();
    setTimeout(tick, Math.max(0, t0 + sent * interval - clock() - 1));
  };
  tick();
});
port.postMessage({ type: 'done', sent, sentInWindow, lag: lag.summary() } satisfies PubDone);
// Stay connected until the main thread ends the process (a publisher leaving is not part of the run).
