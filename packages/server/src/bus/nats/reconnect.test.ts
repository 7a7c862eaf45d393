import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createNatsBus } from './nats-bus.ts';
import { freePort, freshPrefix, killNatsServer, startNatsServer } from './nats.fixture.ts';

let server: ChildProcess | undefined;
after(async () => {
  if (server) await killNatsServer(server);
});

/** Publishes every 20 ms until `got` grows (messages during an outage may be lost: that is the contract). */
async function publishUntilReceived(publish: () => void, got: () => number, ms = 15_000): Promise<void> {
  const start = got();
  const end = Date.now() + ms;
  while (got() === start) {
    if (Date.now() > end) throw new Error(`nothing received within ${ms} ms`);
    publish();
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('nats bus reconnect - subscriptions work again after the server is killed and restarted', async () => {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  server = await startNatsServer(port);
  const statuses: string[] = [];
  const opts = { servers: url, prefix: freshPrefix(), reconnectTimeWaitMs: 100 };
  const sub = await createNatsBus({ ...opts, onStatus: (s) => statuses.push(s.type) });
  const pub = await createNatsBus(opts);
  try {
    const got: string[] = [];
    sub.subscribe('u.app.alice', (m) => got.push(new TextDecoder().decode(m.payload)));
    const say = (text: string) => () => pub.publish({ topic: 'u.app.alice', payload: new TextEncoder().encode(text) });
    await publishUntilReceived(say('before'), () => got.length);

    await killNatsServer(server);
    // Publishing into the outage must neither throw nor block.
    for (let i = 0; i < 10; i++) say('during')();
    await new Promise((r) => setTimeout(r, 300));
    server = await startNatsServer(port);

    // No re-subscribe by us: the client must restore the subscription itself.
    await publishUntilReceived(say('after'), () => got.filter((t) => t === 'after').length);
    assert.ok(statuses.includes('disconnect'), `statuses: ${statuses.join(',')}`);
    assert.ok(statuses.includes('reconnect'), `statuses: ${statuses.join(',')}`);
    assert.equal(got[0], 'before');
    assert.ok(got.every((t) => ['before', 'during', 'after'].includes(t)));
  } finally {
    await sub.close();
    await pub.close();
  }
});
