import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateConvId } from '@tidings/protocol';
import { createServerClient } from '@tidings/server-sdk';
import { startServer } from '@tidings/testkit';
import { startReceiver, waitFor, type ReceiverAction } from './helpers/webhook-receiver.ts';

const PAIRS = [
  ['alice', 'bob'],
  ['carol', 'dave'],
  ['erin', 'frank'],
] as const;

test('webhooks - a receiver that fails, times out and answers 500 for a while gets every message once per key, in seq order per conversation, across kill -9 and restart', async () => {
  const server = await startServer({
    env: {
      TIDINGS_WEBHOOK_RETRY_BASE_MS: '20',
      TIDINGS_WEBHOOK_RETRY_MAX_MS: '300',
      TIDINGS_WEBHOOK_LEASE_MS: '1500',
      TIDINGS_WEBHOOK_POLL_MS: '50',
      TIDINGS_LOG_LEVEL: 'warn',
    },
  });
  const { appKey, appSecret } = server.devApp;
  // Phase 1: down (500) for a while; then flaky: dropped connections, timeouts and 500s among successes.
  let flakyAfter = Date.now() + 800;
  const decide = (n: number): ReceiverAction => {
    if (Date.now() < flakyAfter) return 'fail500';
    if (n % 5 === 0) return 'destroy';
    if (n % 7 === 0) return 'hang';
    if (n % 3 === 0) return 'fail500';
    return 'ok';
  };
  const receiver = await startReceiver(appKey, () => appSecret, decide);
  const client = () => createServerClient({ baseUrl: server.httpUrl, appKey, appSecret, retries: 0 });
  try {
    let api = client();
    await api.webhooks.set({ url: receiver.url, events: ['message'], timeoutMs: 300, maxAttempts: 1000 });
    const sendRound = (round: number) =>
      Promise.all(
        PAIRS.flatMap(([from, to]) =>
          Array.from({ length: 10 }, (_, i) =>
            api.messages.sendPrivate(from, to, { type: 'text', content: `${round}-${i}`, idempotencyKey: `${from}-${round}-${i}` }),
          ),
        ),
      );
    await sendRound(1);
    await waitFor(() => receiver.accepted.length >= 8, 20_000, 'some deliveries before the kill');
    await server.kill('SIGKILL');
    await server.restart();
    api = client();
    flakyAfter = Date.now() + 300;
    await sendRound(2);

    const stored = new Map<string, { convId: string; seq: number }>();
    for (const [from, to] of PAIRS) {
      const page = await api.conversations.history(privateConvId(from, to), { limit: 100 });
      assert.equal(page.messages.length, 20);
      for (const m of page.messages) stored.set(m.msgId, { convId: m.convId, seq: m.seq });
    }
    await waitFor(() => new Set(receiver.accepted.map((a) => a.key)).size >= stored.size, 60_000, 'every message delivered');
    assert.deepEqual(receiver.badSignatures, []);
    const keys = receiver.accepted.map((a) => a.key);
    assert.equal(new Set(keys).size, keys.length, 'recorded once per key');
    assert.deepEqual(new Set(keys), new Set(stored.keys()), 'the keys are exactly the stored messages (msgId)');
    const order = new Map<string, number[]>();
    for (const a of receiver.accepted) {
      const m = (a.body.message ?? {}) as { convId: string; seq: number; msgId: string };
      assert.deepEqual(stored.get(a.key), { convId: m.convId, seq: m.seq }, 'key and body agree');
      order.set(m.convId, [...(order.get(m.convId) ?? []), m.seq]);
    }
    for (const seqs of order.values()) assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i + 1), 'seq order per conversation');
    assert.ok(receiver.requests > keys.length, 'the receiver did fail on the way');
    const pending = await api.webhooks.deadLetters();
    assert.deepEqual(pending.entries, []);
  } finally {
    await receiver.close();
    await server.cleanup();
  }
});
