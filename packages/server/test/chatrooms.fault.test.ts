import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, roomConvId, type Message } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { newNonce, signRequest } from '@tidings/server-sdk';
import { check, createFaultProxy, createRecorder, formatCounters, type Recorder } from '@tidings/testkit';
import { testNode } from './helpers/node.ts';
import { waitFor } from './helpers/conv-load.ts';
import { checkRoom } from './helpers/room-check.ts';

const SEED = Number(process.env.TIDINGS_FAULT_SEED ?? Date.now() % 100_000);

test(`chatrooms fault - 16 members through a proxy that cuts and stalls, small window, overload: no duplicate, no divergence, every gap filled or marked (seed ${SEED})`, async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  // A small window (catch-up often falls out of it) and a rate low enough to shed low-priority traffic.
  const body = JSON.stringify({ windowSize: 40, joinRecent: 10, ratePerSecond: 400, burst: 40 });
  const ts = String(Date.now());
  const nonce = newNonce();
  const headers = signRequest(app.appSecret, { appKey: app.appKey, timestamp: ts, nonce, method: 'PUT', url: '/v1/chatrooms/policy', body: new TextEncoder().encode(body) });
  const res = await fetch(`${node.info.httpUrl}/v1/chatrooms/policy`, {
    method: 'PUT',
    headers: { ...headers, 'x-tidings-app': app.appKey, 'x-tidings-timestamp': ts, 'x-tidings-nonce': nonce, 'content-type': 'application/json' },
    body,
  });
  assert.equal(res.status, 200);
  const proxy = await createFaultProxy({
    target: node.info.wsUrl,
    seed: SEED,
    faults: { cut: { everyMs: 150, jitterMs: 100, target: 'one' }, stall: { everyMs: 250, jitterMs: 100, durationMs: 500, target: 'one' } },
  });
  const conv = roomConvId('arena');
  const host = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'host', 3600), deviceId: 'host', serverKey: node.info.serverKey });
  const streams = new Map<string, Message[]>();
  const recorders: Recorder[] = [];
  const record = (c: ReturnType<typeof createClient>, user: string, device: string): void => {
    const rec = createRecorder(user, device);
    recorders.push(rec);
    c.on('queued', (q) => rec.sent(q.convId, q.clientMsgId));
    c.on('ack', (a) => rec.acked(a.convId, a.clientMsgId, a));
    c.on('message', (m) => rec.surfaced(m.convId, m));
  };
  record(host, 'host', 'host');
  const clients = Array.from({ length: 16 }, (_, i) => {
    const c = createClient({ url: `${proxy.url}/ws`, token: () => issueUserToken(app, `m${i}`, 3600), deviceId: `m${i}`, backoff: { minMs: 20, maxMs: 300 }, connectTimeoutMs: 2000, pingIntervalMs: 1000, serverKey: node.info.serverKey });
    const list: Message[] = [];
    streams.set(`m${i}`, list);
    c.on('message', (m) => {
      if (m.convId === conv) list.push(m);
    });
    c.on('error', () => {});
    record(c, `m${i}`, `m${i}`);
    return c;
  });
  try {
    await host.connect();
    await host.rooms.create('arena');
    await host.rooms.join('arena');
    await Promise.all(clients.map(async (c) => {
      for (;;) {
        try {
          return await c.rooms.join('arena');
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }));
    // Traffic from the host (direct) and from members (through the proxy), mixed priorities.
    const priorities = ['low', 'normal', 'high'] as const;
    const senders = [host, ...clients.slice(0, 6)];
    await Promise.all(
      senders.map(async (c, n) => {
        for (let i = 0; i < 60; i++) {
          c.rooms.send('arena', { type: 'text', content: `${n}#${i}`, priority: priorities[(i + n) % 3] }).catch(() => {});
          if (i % 3 === 2) await new Promise((r) => setTimeout(r, 25));
        }
      }),
    );
    proxy.set({ cut: null, stall: null });
    proxy.cutAll();
    await waitFor(() => [host, ...clients].every((c) => c.outboxSize === 0), () => 'outboxes to empty', 30_000);
    // A run of shed seqs at the very end gets its marker within the marker delay (50 ms).
    await new Promise((r) => setTimeout(r, 300));
    const end = Number((await host.rooms.info('arena')).maxSeq);
    await waitFor(
      () => clients.every((c) => c.lastSeq(conv) >= end),
      () => `behind ${end}: ${clients.filter((c) => c.lastSeq(conv) < end).map((c) => `${c.deviceId}@${c.lastSeq(conv)}`).join(' ')}`,
      30_000,
    );
    const problems = checkRoom(streams, end);
    const stats = formatCounters(proxy.stats());
    assert.deepEqual(problems.slice(0, 10), [], `seed=${SEED} ${stats}`);
    // The testkit's history checker, markers allowed: nothing acked is lost unless a marker covers it, nothing twice, no divergence.
    const report = check(recorders, { members: () => ['host', ...clients.map((_, i) => `m${i}`)] });
    assert.ok(report.ok, `seed=${SEED} ${stats}\n${report.format()}`);
    const markers = [...streams.values()].flat().filter((m) => m.coversTo);
    assert.ok(proxy.stats().cuts >= 5, `the proxy must really have cut connections: ${stats}`);
    console.log(`# seed ${SEED}: room at seq ${end}; ${markers.length} markers seen across 16 members; ${stats}`);
  } finally {
    await Promise.all([host.close(), ...clients.map((c) => c.close())]);
    await proxy.close();
    await node.dispose();
  }
});
