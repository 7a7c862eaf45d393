import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatLoad } from './helpers/chat-load.ts';
import { startCluster } from './helpers/cluster.ts';

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
  const load = createChatLoad({ url: [n1.wsUrl, n2.wsUrl], app: cluster.devApp, users: 10, seed: 11 });
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
