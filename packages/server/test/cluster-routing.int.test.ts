import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { createServerClient } from '@tidings/server-sdk';
import { createChatLoad } from './helpers/chat-load.ts';
import { startCluster } from './helpers/cluster.ts';

async function until(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

/** A counter's value from a node's /metrics (0 when absent). */
async function counter(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

test('cluster routing - a push crosses the bus only to nodes holding a recipient, never to a node without one', async () => {
  const cluster = await startCluster({ nodes: 3 });
  const [n1, n2, n3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  // Devices on nodes 1 and 2 only: node 3 holds nobody.
  const load = createChatLoad({ url: [n1.wsUrl, n2.wsUrl], app: cluster.devApp, serverKey: cluster.serverKeys(), users: 10, seed: 11 });
  try {
    await load.connect();
    await load.traffic(20, 2);
    await load.drain(30_000);
    assert.ok(load.check().ok, load.check().format());
    const received = await Promise.all([n1, n2, n3].map((n) => counter(n.httpUrl, 'tidings_bus_received_total')));
    const published = await Promise.all([n1, n2, n3].map((n) => counter(n.httpUrl, 'tidings_bus_published_total')));
    assert.equal(received[2], 0, `node 3 holds no recipient yet received ${received[2]} bus messages`);
    assert.equal(published[2], 0, 'node 3 took no sends');
    assert.ok(received[0]! > 0 && received[1]! > 0, `received: ${received.join(', ')}`);
    // Each message is published once per member (2) and reaches only nodes subscribed to that member.
    assert.equal(published[0]! + published[1]!, 2 * 10 * 20);
    assert.ok(received[0]! + received[1]! <= published[0]! + published[1]!, `received ${received.join(', ')} of ${published.join(', ')}`);
  } finally {
    await load.close();
    await cluster.cleanup();
  }
});

test('cluster presence - online status is cluster-wide, follows a device that fails over, and a dead node stops counting after its heartbeats stop', async () => {
  const cluster = await startCluster({ nodes: 3, env: { TIDINGS_PRESENCE_HEARTBEAT_MS: '200', TIDINGS_PRESENCE_TTL_MS: '1500' } });
  const [n1, n2, n3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  const app = cluster.devApp;
  const api = createServerClient({ baseUrl: n3.httpUrl, appKey: app.appKey, appSecret: app.appSecret, retries: 0 });
  const online = async (user: string): Promise<boolean> => (await api.users.online(user)).online;
  const device = (user: string, urls: string[]) =>
    createClient({ url: urls, token: () => issueUserToken(app, user, 3600), deviceId: `${user}-d0`, backoff: { minMs: 20, maxMs: 200 }, connectTimeoutMs: 1000, pingIntervalMs: 500, serverKey: cluster.serverKeys() });
  // alice starts on node 1 and may fail over to node 3; dave can only reach node 2.
  const alice = device('alice', [n1.wsUrl, n3.wsUrl]);
  const dave = device('dave', [n2.wsUrl]);
  try {
    await Promise.all([alice.connect(), dave.connect()]);
    await until('alice and dave online as seen from node 3', async () => (await online('alice')) && (await online('dave')));
    assert.equal(await online('carol'), false);

    await n1.kill('SIGKILL');
    await until('alice reconnected to node 3', async () => alice.state === 'connected' && !n1.running);
    await sleep(2000); // past the ttl: node 1's rows are gone, alice counts through node 3
    assert.equal(await online('alice'), true, 'alice is online through the node she failed over to');

    await n2.kill('SIGKILL');
    await until('dave offline once node 2 stopped heartbeating', async () => !(await online('dave')), 6000);
    assert.equal(await online('alice'), true);
  } finally {
    await Promise.all([alice.close(), dave.close()]);
    await cluster.cleanup();
  }
});
