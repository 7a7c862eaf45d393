// Open-loop load generator for 1:1 messaging, run as its own process:
//   node bench/load/one-to-one-gen.ts --target tidings|ws --url ws://127.0.0.1:P/ws [--runtime runtime.json] ...
// N pairs of users; every user sends to its peer over pre-encoded Tidings
// frames. Message k of the run has the fixed intended send time
// t0 + k/rate and goes out from sender k % senders; latency is measured from
// that intended time (which travels in the content bytes), so a stalled server
// cannot hide its queueing (no coordinated omission). Prints JSON lines: ready,
// window-start, window-end, result.
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { encodeFrame, decodeFrame, privateConvId, SECURE_SUBPROTOCOL } from '@tidings/protocol';
import type { SecureChannel } from '@tidings/server';
import { LatencyHistogram } from '../lib/histogram.ts';
import { parseGenOptions, type GenOptions } from './gen-options.ts';
import type { GenEvent } from './gen-result.ts';
import { BODY, encodeSend, findField, scanFrame, sendTemplate, type Scan, type SendTemplate } from './wire.ts';

interface Sender {
  readonly index: number;
  readonly ws: WebSocket;
  /** Secure session: the record layer (node:crypto, as cheap as the server's). */
  channel: SecureChannel | undefined;
  readonly template: SendTemplate;
  seq: number;
  /** Intended send time by sender seq (rid == seq). */
  readonly intended: Float64Array;
  /** Next seq expected from the peer's pushes. */
  peerNext: number;
}

const emit = (e: GenEvent): void => void process.stdout.write(JSON.stringify(e) + '\n');

async function tokenFor(o: GenOptions): Promise<(user: string) => Promise<string>> {
  if (o.target !== 'tidings') return async () => 'baseline';
  const rt = JSON.parse(readFileSync(o.runtime, 'utf8')) as { devApp: { appKey: string; tokenKey: string } };
  const { issueUserToken } = await import('@tidings/server');
  return (user) => issueUserToken(rt.devApp, user, 3600);
}

async function main(o: GenOptions): Promise<void> {
  const senders = o.pairs * 2;
  const planned = Math.min(o.maxMessages, Math.floor(((o.warmupMs + o.durationMs) * o.rate) / 1000));
  const perSender = Math.ceil(planned / senders) + 2;
  const token = await tokenFor(o);
  const e2e = new LatencyHistogram();
  const ackH = new LatencyHistogram();
  const lagH = new LatencyHistogram();
  const c = { sent: 0, acked: 0, delivered: 0, errors: 0, outOfOrder: 0, wSent: 0, wAcked: 0, wDelivered: 0, inAcked: 0, inDelivered: 0 };
  let firstError: string | undefined;
  let t0 = Infinity;
  let inWindow = false;
  let windowDone = false;
  let finished = false;
  const wStart = (): number => t0 + o.warmupMs;
  const wEnd = (): number => t0 + o.warmupMs + o.durationMs;
  const measured = (t: number): boolean => t >= wStart() && t < wEnd();
  const s: Scan = { rid: 0, body: 0, start: 0, end: 0 };
  const list: Sender[] = [];
  // Worst push latency per second of the schedule: shows whether slow messages cluster (stalls) or spread.
  const maxBySecond: number[] = [];

  const onPush = (me: Sender, buf: Buffer, start: number): void => {
    const now = performance.now();
    const intended = buf.readDoubleLE(start);
    const seq = buf.readUInt32LE(start + 12);
    if (seq !== me.peerNext) c.outOfOrder++;
    me.peerNext = seq + 1;
    c.delivered++;
    if (inWindow) c.inDelivered++;
    const sec = Math.max(0, Math.floor((intended - t0) / 1000));
    maxBySecond[sec] = Math.max(maxBySecond[sec] ?? 0, Math.round(now - intended));
    if (measured(intended)) {
      c.wDelivered++;
      e2e.recordMs(now - intended);
    }
  };
  const onAck = (me: Sender, seq: number): void => {
    const intended = me.intended[seq] ?? NaN;
    c.acked++;
    if (inWindow) c.inAcked++;
    if (measured(intended)) {
      c.wAcked++;
      ackH.recordMs(performance.now() - intended);
    }
  };
  const onFrame = (me: Sender, buf: Buffer): void => {
    if (!scanFrame(buf, s)) return void c.errors++;
    if (s.body === BODY.sendAck) return onAck(me, s.rid);
    if (s.body === BODY.push && findField(buf, s.start, s.end, 1, s) && findField(buf, s.start, s.end, 8, s)) return onPush(me, buf, s.start);
    if (s.body === BODY.send && findField(buf, s.start, s.end, 5, s)) {
      // The ws baseline relays our own frame back as the ack and the peer's as the push.
      return buf.readUInt32LE(s.start + 8) === me.index ? onAck(me, s.rid) : onPush(me, buf, s.start);
    }
    if (s.body === BODY.error) {
      c.errors++;
      if (firstError === undefined && findField(buf, s.start, s.end, 1, s)) firstError = buf.toString('utf8', s.start, s.end);
    }
  };

  const connect = async (index: number): Promise<Sender> => {
    const pair = index >> 1;
    const user = `${index & 1 ? 'b' : 'a'}${pair}`;
    const peer = `${index & 1 ? 'a' : 'b'}${pair}`;
    const query = o.target === 'tidings' ? '?device=d1' : `?device=d1&user=${user}&peer=${peer}`;
    const urls = o.url.split(',');
    const tok = await token(user);
    const protocols = o.secure ? [SECURE_SUBPROTOCOL] : ['tidings.v1', 'tidings.token.' + tok];
    const ws = new WebSocket(urls[index % urls.length]! + query, protocols, { perMessageDeflate: false });
    const hs = o.secure ? (await import('@tidings/server')).startClientHandshake() : undefined;
    const me: Sender = { index, ws, channel: undefined, template: sendTemplate(privateConvId(user, peer)), seq: 0, intended: new Float64Array(perSender), peerNext: 1 };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect timeout for ${user}`)), 15_000);
      const ready = (): void => {
        clearTimeout(timer);
        resolve();
      };
      ws.once('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()} for ${user}`)));
      if (o.target === 'ws') ws.once('open', ready);
      else if (hs) {
        ws.once('open', () => ws.send(encodeFrame({ rid: 0, body: { case: 'secureHello', value: hs.hello } })));
        ws.on('message', (d: Buffer) => {
          if (!me.channel) {
            const r = decodeFrame(d);
            const done = r.ok && r.frame.body.case === 'secureWelcome' ? hs.finish(r.frame.body.value) : undefined;
            if (!done?.ok) return reject(new Error('secure handshake failed'));
            me.channel = done.channel;
            ws.send(me.channel.seal([encodeFrame({ rid: 0, body: { case: 'hello', value: { sdk: 'bench', token: tok } } })]));
            return;
          }
          const opened = me.channel.open(d);
          if (opened.ok && scanFrame(opened.frames[0]!, s) && s.body === BODY.welcome) ready();
          else reject(new Error('expected welcome'));
        });
      } else ws.once('message', (d: Buffer) => (scanFrame(d, s) && s.body === BODY.welcome ? ready() : reject(new Error('expected welcome'))));
    });
    ws.removeAllListeners('close').removeAllListeners('error').removeAllListeners('message');
    ws.on('error', () => c.errors++);
    ws.on('close', () => void (finished || c.errors++));
    ws.on('message', (d: Buffer) => {
      if (!me.channel) return onFrame(me, d);
      const opened = me.channel.open(d);
      if (!opened.ok) return void c.errors++;
      for (const f of opened.frames) onFrame(me, Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    });
    return me;
  };
  for (let i = 0; i < senders; i += 20) list.push(...(await Promise.all(Array.from({ length: Math.min(20, senders - i) }, (_, j) => connect(i + j)))));
  emit({ type: 'ready' });

  const content = Buffer.alloc(o.contentBytes, 'x');
  const interval = 1000 / o.rate;
  let next = 0;
  let cpu0 = process.cpuUsage();
  let cpuFrac = 0;
  t0 = performance.now() + 20;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (!inWindow && !windowDone && now >= wStart()) {
        inWindow = true;
        cpu0 = process.cpuUsage();
        emit({ type: 'window-start' });
      }
      if (inWindow && now >= wEnd()) {
        inWindow = false;
        windowDone = true;
        const u = process.cpuUsage(cpu0);
        cpuFrac = (u.user + u.system) / 1000 / (now - wStart());
        emit({ type: 'window-end' });
      }
      for (let budget = 2000; next < planned && budget > 0; budget--) {
        const intended = t0 + next * interval;
        if (intended > now) break;
        const me = list[next % senders]!;
        const seq = ++me.seq;
        me.intended[seq] = intended;
        content.writeDoubleLE(intended, 0);
        content.writeUInt32LE(me.index, 8);
        content.writeUInt32LE(seq, 12);
        const frame = encodeSend(me.template, seq, seq, content);
        me.ws.send(me.channel ? me.channel.seal([frame]) : frame, { binary: true });
        c.sent++;
        if (measured(intended)) {
          c.wSent++;
          lagH.recordMs(now - intended);
        }
        next++;
      }
      if (next >= planned && windowDone) return resolve();
      // Behind schedule: yield to I/O but come straight back; on time: sleep until the next tick.
      if (next < planned && t0 + next * interval <= performance.now()) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    tick();
  });

  const drainUntil = performance.now() + o.drainMs;
  while ((c.wDelivered < c.wSent || c.wAcked < c.wSent) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  const lag = lagH.summary();
  const reasons: string[] = [];
  if (cpuFrac > o.maxCpu) reasons.push(`generator CPU-saturated: ${(cpuFrac * 100).toFixed(0)}% of one core > ${o.maxCpu * 100}%`);
  if (lag.p99 > o.maxLagMs) reasons.push(`generator fell behind schedule: send lag p99 ${lag.p99.toFixed(1)} ms > ${o.maxLagMs} ms`);
  if (c.wSent < (o.durationMs * o.rate) / 1000 - 1) reasons.push(`--max-messages cut the window short (${c.wSent} sent in window)`);
  const secs = o.durationMs / 1000;
  emit({
    type: 'result',
    target: o.target,
    rate: o.rate,
    pairs: o.pairs,
    windowMs: o.durationMs,
    sent: c.sent,
    acked: c.acked,
    delivered: c.delivered,
    errors: c.errors,
    ...(firstError !== undefined ? { firstError } : {}),
    outOfOrder: c.outOfOrder,
    window: { sent: c.wSent, acked: c.wAcked, delivered: c.wDelivered },
    achievedRate: c.inDelivered / secs,
    ackedRate: c.inAcked / secs,
    e2e: e2e.summary(),
    ack: ackH.summary(),
    lag,
    e2eMaxBySecond: Array.from(maxBySecond, (v) => v ?? 0),
    genCpu: cpuFrac,
    valid: reasons.length === 0,
    invalidReasons: reasons,
  });
  finished = true;
  for (const me of list) me.ws.terminate();
}

main(parseGenOptions(process.argv.slice(2))).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`one-to-one-gen: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
