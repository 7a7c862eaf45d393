import { test } from 'node:test';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';
import { privateConvId } from '@tidings/protocol';
import { ServerApiError } from '@tidings/server-sdk';
import { createClient } from '@tidings/sdk';
import { apiNode } from './helpers/api.ts';
import { startReceiver, waitFor, type ReceiverAction } from './helpers/webhook-receiver.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ServerApiError ? e.code : String(e)),
  );

test('webhooks - settings: defaults, partial update, http(s) only, per app', async () => {
  const { node, a, b } = await apiNode();
  try {
    assert.deepEqual((await a.webhooks.get()).url, '');
    const set = await a.webhooks.set({ url: 'http://127.0.0.1:9/x', events: ['message'] });
    assert.deepEqual([set.url, set.events, set.failOpen], ['http://127.0.0.1:9/x', ['message'], true]);
    assert.equal((await a.webhooks.set({ failOpen: false })).url, 'http://127.0.0.1:9/x', 'omitted fields are kept');
    assert.equal(await code(a.webhooks.set({ url: 'ftp://x/y' })), 'protocol.invalid_request');
    assert.equal((await b.webhooks.get()).url, '', 'another app is untouched');
  } finally {
    await node.dispose();
  }
});

test('webhooks - dead letters: exhausted callbacks are listed, do not block the lane, and replay delivers them', async () => {
  const { node, a, appA } = await apiNode();
  let mode: ReceiverAction = 'fail500';
  const receiver = await startReceiver(appA.appKey, () => appA.appSecret, () => mode);
  try {
    await a.webhooks.set({ url: receiver.url, events: ['message'], maxAttempts: 1 });
    const first = await a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'one', idempotencyKey: 'k1' });
    await waitFor(async () => (await a.webhooks.deadLetters()).entries.length === 1, 10_000, 'a dead letter');
    const dead = (await a.webhooks.deadLetters()).entries[0]!;
    assert.deepEqual([dead.event, dead.convId, dead.seq, dead.idempotencyKey, dead.attempts, dead.lastError], ['message', privateConvId('ann', 'ben'), 1, first.msgId, 1, 'HTTP 500']);
    mode = 'ok';
    const second = await a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'two', idempotencyKey: 'k2' });
    await waitFor(() => receiver.accepted.length === 1, 10_000, 'the next entry of the lane');
    assert.equal(receiver.accepted[0]!.key, second.msgId);
    assert.deepEqual(await a.webhooks.replay([dead.id + 1000]), { replayed: 0 });
    assert.deepEqual(await a.webhooks.replay(), { replayed: 1 });
    await waitFor(() => receiver.accepted.length === 2, 10_000, 'the replayed entry');
    assert.equal(receiver.accepted[1]!.key, first.msgId, 'the same idempotency key');
    assert.deepEqual((await a.webhooks.deadLetters()).entries, []);
  } finally {
    await receiver.close();
    await node.dispose();
  }
});

test('webhooks - pre-send hook: allow, reject, rewrite, and on timeout fail-open sends unchanged while fail-closed refuses', async () => {
  const { node, a } = await apiNode();
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { content: string };
      const c = Buffer.from(body.content, 'base64').toString();
      if (c === 'slow') return void setTimeout(() => res.writeHead(200).end('{"action":"allow"}'), 1000);
      if (c.startsWith('bad')) return res.writeHead(200).end(JSON.stringify({ action: 'reject', reason: 'no bad words' }));
      if (c.startsWith('shout')) return res.writeHead(200).end(JSON.stringify({ action: 'rewrite', content: c.toUpperCase(), type: 'loud' }));
      res.writeHead(200).end('{"action":"allow"}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/pre`;
  try {
    await a.webhooks.set({ preSendUrl: hookUrl, preSendTimeoutMs: 200, failOpen: true });
    const conv = privateConvId('ann', 'ben');
    await a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'hello' });
    assert.equal(await code(a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'bad thing' })), 'send.rejected_by_app');
    await a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'shout this' });
    await a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'slow' });
    await a.webhooks.set({ failOpen: false });
    const refused = await a.messages.sendPrivate('ann', 'ben', { type: 'text', content: 'slow' }).catch((e: unknown) => e as ServerApiError);
    assert.ok(refused instanceof ServerApiError);
    assert.deepEqual([refused.code, refused.retryable], ['send.hook_unavailable', true]);
    // Concurrent sends through a slow-then-fast hook keep their order.
    await a.webhooks.set({ failOpen: true });
    await Promise.all(['slow', 'after-1', 'after-2'].map((c) => a.messages.sendPrivate('ann', 'ben', { type: 'text', content: c })));
    const page = await a.conversations.history(conv);
    assert.deepEqual(
      page.messages.map((m) => [m.type, text(m.content)]),
      [['text', 'hello'], ['loud', 'SHOUT THIS'], ['text', 'slow'], ['text', 'slow'], ['text', 'after-1'], ['text', 'after-2']],
    );
  } finally {
    hook.closeAllConnections();
    await new Promise<void>((r) => hook.close(() => r()));
    await node.dispose();
  }
});

test('webhooks - status callbacks: online when a user first connects, offline when the last device leaves, in order, signed', async () => {
  const { node, a, appA } = await apiNode();
  const receiver = await startReceiver(appA.appKey, () => appA.appSecret, () => 'ok');
  try {
    await a.webhooks.set({ url: receiver.url, events: ['status'] });
    const connect = async (device: string) => {
      const c = createClient({ url: node.info.wsUrl, token: async () => (await a.users.issueToken('ann', 60)).token, deviceId: device, serverKey: node.info.serverKey });
      await c.connect();
      return c;
    };
    const phone = await connect('phone');
    const laptop = await connect('laptop');
    await phone.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(receiver.accepted.map((x) => x.body.status), ['online'], 'a second device and the first leaving change nothing');
    await laptop.close();
    await waitFor(() => receiver.accepted.length === 2, 10_000, 'the offline callback');
    assert.deepEqual(
      receiver.accepted.map((x) => [x.event, x.body.userId, x.body.status]),
      [
        ['status', 'ann', 'online'],
        ['status', 'ann', 'offline'],
      ],
    );
    assert.equal(new Set(receiver.accepted.map((x) => x.key)).size, 2, 'each callback has its own idempotency key');
    assert.deepEqual(receiver.badSignatures, []);
  } finally {
    await receiver.close();
    await node.dispose();
  }
});
