import assert from 'node:assert/strict';
import type { WebhookConfig, WebhookEnqueue } from './port.ts';
import { send, uid, type WithStore } from './conformance-fixtures.ts';

/**
 * Conformance cases for webhooks: settings, the outbox written with the
 * messages, lane-head claims with leases, retries and the dead-letter list.
 */

function config(appKey: string, over: Partial<WebhookConfig> = {}): WebhookConfig {
  return {
    appKey,
    url: 'http://127.0.0.1:9/hook',
    events: ['message', 'status'],
    timeoutMs: 5000,
    maxAttempts: 5,
    maxAgeMs: 86_400_000,
    preSendUrl: '',
    preSendTimeoutMs: 1000,
    failOpen: true,
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}

function status(appKey: string, userId: string, n: number): WebhookEnqueue {
  return { appKey, lane: `@status:${userId}`, event: 'status', convId: '', seq: 0, payload: `{"n":${n}}`, idempotencyKey: uid('k'), createdAt: 1000 };
}

export function webhookCases(withStore: WithStore): void {
  withStore('webhooks - settings are stored, replaced and per app', async (store) => {
    const a = uid('app');
    assert.equal(await store.getWebhookConfig(a), undefined);
    await store.setWebhookConfig(config(a));
    assert.deepEqual(await store.getWebhookConfig(a), config(a));
    const next = config(a, { url: '', events: ['status'], preSendUrl: 'https://x/pre', failOpen: false, maxAttempts: 2, updatedAt: 5 });
    await store.setWebhookConfig(next);
    assert.deepEqual(await store.getWebhookConfig(a), next);
    assert.equal(await store.getWebhookConfig(uid('app')), undefined);
  });

  withStore('webhooks - a stored send with the flag gets its outbox entry in the commit; others do not', async (store) => {
    const first = send({ convId: 'p:a|b', kind: 'private', webhook: true });
    const appKey = first.appKey;
    const base = { appKey, convId: 'p:a|b', kind: 'private' as const };
    const outcomes = await store.commitSends([
      first,
      send({ ...base, senderSeq: 2, webhook: true }),
      send({ ...base, clientMsgId: first.clientMsgId, senderSeq: 1, webhook: true }), // duplicate: no entry
      send({ ...base, senderSeq: 9, webhook: true }), // gap: no entry
      send({ ...base, senderSeq: 3 }), // no flag: no entry
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['stored', 'stored', 'duplicate', 'gap', 'stored']);
    assert.equal(await store.countPendingWebhooks(appKey), 2);
    const claimed = (await store.claimWebhooks(uid('t'), 2e12, 2e12 + 1000, 100)).filter((e) => e.appKey === appKey);
    assert.equal(claimed.length, 1, 'one entry per lane at a time');
    const e = claimed[0]!;
    const m = outcomes[0]!.status === 'stored' ? outcomes[0]!.message : undefined;
    assert.deepEqual(
      [e.lane, e.event, e.convId, e.seq, e.idempotencyKey, e.attempts, e.dead, e.payload],
      ['p:a|b', 'message', 'p:a|b', 1, m!.msgId, 0, false, ''],
    );
  });

  withStore('webhooks - lanes deliver in order: the next entry waits for complete or dead-letter', async (store) => {
    const a = uid('app');
    await store.enqueueWebhooks([status(a, 'u1', 1), status(a, 'u1', 2), status(a, 'u2', 1), status(a, 'u1', 3)]);
    const mine = async (token: string, now: number) => (await store.claimWebhooks(token, now, now + 100, 1000)).filter((e) => e.appKey === a);
    const t1 = uid('t');
    const first = await mine(t1, 2e12);
    assert.deepEqual(first.map((e) => e.payload), ['{"n":1}', '{"n":1}']);
    assert.deepEqual((await mine(uid('t'), 2e12 + 50)).length, 0, 'leased heads block their lanes');
    const u1 = first.find((e) => e.lane === '@status:u1')!;
    const u2 = first.find((e) => e.lane === '@status:u2')!;
    assert.equal(await store.completeWebhook(u1.id, 'wrong-token'), false);
    assert.equal(await store.completeWebhook(u1.id, t1), true);
    assert.equal(await store.failWebhook(u2.id, t1, { nextAt: 2e12 + 500, error: 'HTTP 500', dead: false }), true);
    assert.equal(await store.failWebhook(u2.id, t1, { nextAt: 0, error: 'again', dead: false }), false, 'the lease was released');
    const second = await mine(uid('t'), 2e12 + 60);
    assert.deepEqual(second.map((e) => e.payload), ['{"n":2}'], 'u2 waits for its retry time');
    // u1's lease (until +160) expired: its head is claimable again (the same entry, same key).
    const later = await mine(uid('t'), 2e12 + 600);
    assert.deepEqual(
      later.map((e) => [e.lane, e.payload, e.attempts, e.lastError]).sort(),
      [['@status:u1', '{"n":2}', 0, ''], ['@status:u2', '{"n":1}', 1, 'HTTP 500']],
    );
    assert.equal(later.find((e) => e.lane === '@status:u1')!.id, second[0]!.id);
  });

  withStore('webhooks - dead letters are listed, unblock their lane and can be replayed', async (store) => {
    const a = uid('app');
    await store.enqueueWebhooks([status(a, 'u1', 1), status(a, 'u1', 2)]);
    const t = uid('t');
    const [head] = (await store.claimWebhooks(t, 2e12, 2e12 + 100, 1000)).filter((e) => e.appKey === a);
    await store.failWebhook(head!.id, t, { nextAt: 2e12, error: 'timeout', dead: true });
    const dead = await store.listWebhookDeadLetters(a, 0, 10);
    assert.deepEqual(dead.map((e) => [e.id, e.dead, e.attempts, e.lastError]), [[head!.id, true, 1, 'timeout']]);
    assert.deepEqual(await store.listWebhookDeadLetters(a, head!.id, 10), []);
    assert.equal(await store.countPendingWebhooks(a), 1);
    const t2 = uid('t');
    const [next] = (await store.claimWebhooks(t2, 2e12, 2e12 + 100, 1000)).filter((e) => e.appKey === a);
    assert.equal(next!.payload, '{"n":2}', 'a dead-lettered head no longer blocks its lane');
    await store.completeWebhook(next!.id, t2);
    assert.equal(await store.replayWebhookDeadLetters(uid('app'), undefined, 2e12), 0, 'other apps replay nothing');
    assert.equal(await store.replayWebhookDeadLetters(a, [head!.id + 999], 2e12), 0);
    assert.equal(await store.replayWebhookDeadLetters(a, [head!.id], 2e12 + 5), 1);
    assert.deepEqual(await store.listWebhookDeadLetters(a, 0, 10), []);
    const [replayed] = (await store.claimWebhooks(uid('t'), 2e12 + 5, 2e12 + 100, 1000)).filter((e) => e.appKey === a);
    assert.deepEqual([replayed!.id, replayed!.attempts, replayed!.idempotencyKey], [head!.id, 0, head!.idempotencyKey]);
  });

  withStore('webhooks - concurrent claims never lease the same entry twice', async (store) => {
    const a = uid('app');
    const entries = Array.from({ length: 30 }, (_, i) => status(a, `u${i}`, i));
    await store.enqueueWebhooks(entries);
    const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimWebhooks(uid('t'), 2e12, 2e12 + 100, 1000)));
    const ids = claims.flat().filter((e) => e.appKey === a).map((e) => e.id);
    assert.equal(ids.length, 30);
    assert.equal(new Set(ids).size, 30);
  });
}
