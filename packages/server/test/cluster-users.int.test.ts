import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId } from '@tidings/protocol';
import { createClient } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { createServerClient, ServerApiError } from '@tidings/server-sdk';
import { startCluster } from './helpers/cluster.ts';
import { codeOf, until } from './helpers/people.ts';

test('cluster users - deleting a user through one node closes their devices on another and refuses sends to them there, at once', async () => {
  // The reload is an hour away: only the bus can carry the deletion in time.
  const cluster = await startCluster({ nodes: 2, env: { TIDINGS_DELETED_USERS_REFRESH_MS: '3600000' } });
  const [n1, n2] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0]];
  const app = cluster.devApp;
  const api = createServerClient({ baseUrl: n1.httpUrl, appKey: app.appKey, appSecret: app.appSecret, retries: 0 });
  const conv = privateConvId('alice', 'bob');
  // Both devices sit on node 2; the deletion arrives through node 1.
  const device = (user: string) =>
    createClient({ url: n2.wsUrl, token: () => issueUserToken(app, user, 3600), deviceId: `${user}-d`, serverKey: cluster.serverKeys(), backoff: { minMs: 20, maxMs: 100 } });
  const alice = device('alice');
  const bob = device('bob');
  const aliceErrors: string[] = [];
  alice.on('error', (e) => aliceErrors.push(e.code));
  try {
    await Promise.all([alice.connect(), bob.connect()]);
    assert.equal((await bob.send(conv, { type: 'text', content: 'before' })).seq, 1);
    const tomb = await api.users.delete('alice');
    assert.ok(tomb.deletedAt > 0);
    await until(() => alice.state === 'closed', "alice's device on node 2 to be closed", 3000);
    assert.deepEqual(aliceErrors, ['auth.user_deleted']);
    assert.equal(await codeOf(bob.send(conv, { type: 'text', content: 'after' })), 'user.deleted');
    const viaNode2 = createServerClient({ baseUrl: n2.httpUrl, appKey: app.appKey, appSecret: app.appSecret, retries: 0 });
    const refused = await viaNode2.messages.sendPrivate('bob', 'alice', { type: 'text', content: 'api' }).then(
      () => 'ok',
      (e: unknown) => (e instanceof ServerApiError ? e.code : String(e)),
    );
    assert.equal(refused, 'user.deleted');
    // Re-created through node 2: node 1 hears it too, and sends through it go again.
    await viaNode2.users.upsert('alice', { name: 'Alice again' });
    // The news crosses the bus asynchronously: node 1 must hear it within a few seconds (its reload is an hour away).
    let sent = 'none';
    const end = Date.now() + 3000;
    while (Date.now() < end && sent !== 'ok') {
      sent = await api.messages.sendPrivate('bob', 'alice', { type: 'text', content: 'welcome back' }).then(
        () => 'ok',
        (e: unknown) => (e instanceof ServerApiError ? e.code : String(e)),
      );
      if (sent !== 'ok') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(sent, 'ok');
  } finally {
    await Promise.all([alice.close(), bob.close()]);
    await cluster.cleanup();
  }
});
