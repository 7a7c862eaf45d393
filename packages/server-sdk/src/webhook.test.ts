import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signWebhook, verifyWebhook } from './webhook.ts';

const body = '{"event":"message","idempotencyKey":"e1"}';
const now = 1_700_000_000_000;

test('webhook - a signed body verifies, also with the previous secret during rotation', () => {
  const headers = signWebhook('app_a', 'old', body, now);
  assert.deepEqual(verifyWebhook({ appKey: 'app_a', secrets: ['old'], headers, body, nowMs: now }), { ok: true });
  assert.deepEqual(verifyWebhook({ appKey: 'app_a', secrets: ['new', 'old'], headers, body: new TextEncoder().encode(body), nowMs: now }), { ok: true });
});

test('webhook - altered body, other app, wrong secret, stale time and missing headers are refused', () => {
  const headers = signWebhook('app_a', 's', body, now);
  const check = (over: Partial<Parameters<typeof verifyWebhook>[0]>) =>
    verifyWebhook({ appKey: 'app_a', secrets: ['s'], headers, body, nowMs: now, ...over });
  assert.deepEqual(check({ body: body.replace('e1', 'e2') }), { ok: false, reason: 'bad_signature' });
  assert.deepEqual(check({ appKey: 'app_b' }), { ok: false, reason: 'bad_signature' });
  assert.deepEqual(check({ secrets: ['t'] }), { ok: false, reason: 'bad_signature' });
  assert.deepEqual(check({ nowMs: now + 6 * 60_000 }), { ok: false, reason: 'stale_timestamp' });
  assert.deepEqual(check({ headers: {} }), { ok: false, reason: 'missing_headers' });
  assert.deepEqual(check({ headers: { ...headers, 'x-tidings-signature': 'zz' } }), { ok: false, reason: 'missing_headers' });
});
