import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerApiError } from './errors.ts';
import { createTransport, path } from './transport.ts';

type Answer = { status: number; body: unknown } | Error;

/** A fetch that records each attempt's headers and plays back `answers`. */
function fakeFetch(answers: Answer[]) {
  const seen: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
  const f = (async (url: string, init: RequestInit) => {
    seen.push({ url, headers: init.headers as Record<string, string>, body: init.body ? new TextDecoder().decode(init.body as Uint8Array) : '' });
    const a = answers.shift();
    if (!a) throw new Error('no more answers');
    if (a instanceof Error) throw a;
    return new Response(JSON.stringify(a.body), { status: a.status });
  }) as unknown as typeof fetch;
  return { f, seen };
}

const creds = { kind: 'app', appKey: 'app_x', appSecret: 's' } as const;

test('transport - retryable failures are retried with a fresh nonce and the same body', async () => {
  const { f, seen } = fakeFetch([new Error('ECONNRESET'), { status: 503, body: { code: 'server.overloaded', message: 'busy' } }, { status: 200, body: { ok: 1 } }]);
  const t = createTransport(creds, { baseUrl: 'http://h/', fetch: f, backoffMs: 1 });
  assert.deepEqual(await t.request({ method: 'POST', path: '/v1/x', body: { idempotencyKey: 'k' } }), { ok: 1 });
  assert.equal(seen.length, 3);
  assert.equal(new Set(seen.map((s) => s.headers['x-tidings-nonce'])).size, 3);
  assert.deepEqual(new Set(seen.map((s) => s.body)), new Set(['{"idempotencyKey":"k"}']));
  assert.equal(seen[0]?.url, 'http://h/v1/x');
});

test('transport - non-retryable errors surface at once with their code', async () => {
  const { f, seen } = fakeFetch([{ status: 401, body: { code: 'api.nonce_replayed', message: 'again' } }]);
  const t = createTransport(creds, { baseUrl: 'http://h', fetch: f, backoffMs: 1 });
  await assert.rejects(t.request({ method: 'GET', path: '/v1/x' }), (e: unknown) => e instanceof ServerApiError && e.code === 'api.nonce_replayed' && e.status === 401);
  assert.equal(seen.length, 1);
});

test('transport - retries stop after the limit; retry: false makes one attempt', async () => {
  const { f, seen } = fakeFetch(Array.from({ length: 5 }, () => new Error('down')));
  const t = createTransport(creds, { baseUrl: 'http://h', fetch: f, backoffMs: 1, retries: 2 });
  await assert.rejects(t.request({ method: 'GET', path: '/v1/x' }), (e: unknown) => e instanceof ServerApiError && e.code === 'client.network');
  assert.equal(seen.length, 3);
  await assert.rejects(t.request({ method: 'POST', path: '/v1/x', body: {}, retry: false }));
  assert.equal(seen.length, 4);
});

test('transport - path encodes each value as one segment and refuses dot segments', () => {
  assert.equal(path`/v1/conversations/${'p:a b:c/d'}/messages/${7}`, '/v1/conversations/p%3Aa%20b%3Ac%2Fd/messages/7');
  assert.throws(() => path`/v1/users/${'..'}`, TypeError);
});
