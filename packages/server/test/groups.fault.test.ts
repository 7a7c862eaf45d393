import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, groupConvId } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { check, createFaultProxy, formatCounters, startServer } from '@tidings/testkit';
import { convDevices, waitFor } from './helpers/conv-load.ts';

const SEED = Number(process.env.TIDINGS_FAULT_SEED ?? Date.now() % 100_000);

test(`groups fault - 12 members (16 devices) through a proxy that cuts and stalls: zero lost, duplicate or divergent (seed ${SEED})`, async () => {
  const server = await startServer();
  const proxy = await createFaultProxy({
    target: server.wsUrl,
    seed: SEED,
    faults: { cut: { everyMs: 200, jitterMs: 100, target: 'one' }, stall: { everyMs: 300, jitterMs: 100, durationMs: 400, target: 'one' } },
  });
  const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
  const conv = groupConvId('fg');
  // The group is made over a direct connection, before the faults matter.
  const admin = createClient({ url: server.wsUrl, token: () => issueUserToken(server.devApp, 'u0', 3600), deviceId: 'admin', serverKey: server.serverKey });
  const devices = convDevices({ url: `${proxy.url}/ws`, app: server.devApp, serverKey: server.serverKey, users, secondDevices: 4 });
  try {
    await admin.connect();
    await admin.groups.create('fg', { members: users.slice(1) });
    await Promise.all(devices.map((d) => d.client.connect()));
    const perDevice = 60;
    await Promise.all(
      devices.map(async (d, n) => {
        for (let i = 0; i < perDevice; i++) {
          d.client.send(conv, { type: 'text', content: `${d.rec.deviceId}#${i}` }).catch(() => {});
          if (i % 5 === 4) await new Promise((r) => setTimeout(r, 5 + (n % 7)));
        }
      }),
    );
    proxy.set({ cut: null, stall: null });
    proxy.cutAll();
    const total = devices.length * perDevice + 1;
    await waitFor(
      () => devices.every((d) => d.client.outboxSize === 0 && d.client.lastSeq(conv) === total),
      () => `behind: ${devices.filter((d) => d.client.lastSeq(conv) < total).map((d) => `${d.rec.deviceId}@${d.client.lastSeq(conv)}`).join(' ')}`,
      60_000,
    );
    const report = check(devices.map((d) => d.rec), { members: () => users });
    const stats = formatCounters(proxy.stats());
    assert.ok(report.ok, `seed=${SEED} ${stats}\n${report.format()}`);
    assert.ok(proxy.stats().cuts >= 5, `the proxy must really have cut connections: ${stats}`);
  } finally {
    await Promise.all([admin.close(), ...devices.map((d) => d.client.close())]);
    await proxy.close();
    await server.cleanup();
  }
});
