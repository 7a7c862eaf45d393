import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFaultProxy, formatCounters, startServer } from '@tidings/testkit';
import { createChatLoad } from './helpers/chat-load.ts';

const SEED = Number(process.env.TIDINGS_FAULT_SEED ?? Date.now() % 100_000);

test(`one-to-one fault - 20 clients through a proxy that cuts, drops, duplicates and loses acks (seed ${SEED})`, async () => {
  // The proxy targets frame types (it drops acks), which sealed records hide: this test runs
  // plaintext clients against a server that allows them. The secure-session fault test below covers sealed traffic.
  const server = await startServer({ env: { TIDINGS_SECURE_SESSION: 'optional' } });
  const proxy = await createFaultProxy({
    target: server.wsUrl,
    seed: SEED,
    faults: {
      cut: { everyMs: 250, jitterMs: 150, target: 'one' },
      dropAcks: 0.2,
      dup: { c2s: 0.05, s2c: 0.05 },
      drop: { s2c: 0.03 },
    },
  });
  const load = createChatLoad({ url: `${proxy.url}/ws`, app: server.devApp, serverKey: server.serverKey, users: 20, secondDevices: 4, seed: SEED, secure: false });
  try {
    await load.connect();
    await load.traffic(150);
    // Faults off, then one last cut so every client resyncs and resends what is left.
    proxy.set({ cut: null, dropAcks: 0, dup: 0, drop: 0 });
    proxy.cutAll();
    await load.drain(60_000);
    const report = load.check();
    const stats = formatCounters(proxy.stats());
    assert.ok(report.ok, `seed=${SEED} ${stats}\n${report.format()}`);
    assert.ok(proxy.stats().cuts >= 10, `the proxy must really have cut connections: ${stats}`);
    assert.equal(load.totalAcked(), 24 * 150, 'every send was acked exactly once');
  } finally {
    await load.close();
    await proxy.close();
    await server.cleanup();
  }
});

test(`one-to-one fault - traffic while the server is killed with SIGKILL and restarted (seed ${SEED})`, async () => {
  const server = await startServer();
  const load = createChatLoad({ url: server.wsUrl, app: server.devApp, serverKey: server.serverKey, users: 20, secondDevices: 4, seed: SEED + 1 });
  try {
    await load.connect();
    // Five phases of sends with a SIGKILL and restart between them: every kill lands with
    // sends in flight (sends are not awaited), whatever the machine's speed.
    let unackedAtKills = 0;
    for (let phase = 0; phase < 5; phase++) {
      await load.traffic(30, 5);
      if (phase < 4) {
        await new Promise((r) => setTimeout(r, 20 + phase * 15));
        unackedAtKills += load.devices.reduce((n, d) => n + d.client.outboxSize, 0);
        await server.kill('SIGKILL');
        await server.restart();
      }
    }
    assert.ok(unackedAtKills > 0, 'the kills must catch sends in flight');
    await load.drain(60_000);
    const report = load.check();
    assert.ok(report.ok, `seed=${SEED + 1}\n${report.format()}`);
    assert.equal(load.totalAcked(), 24 * 150);
  } finally {
    await load.close();
    await server.cleanup();
  }
});
