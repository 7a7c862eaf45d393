import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNonce } from '@tidings/server-sdk';
import { createLogger, loadConfig, startNode } from '@tidings/server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiNode, sendSigned, template, type RawSigned } from './helpers/api.ts';

test('server api signing - a change to any signed part after signing is rejected', async () => {
  const { node, baseUrl, appA, a } = await apiNode();
  try {
    await a.users.upsert('alice', { name: 'Alice' });
    await a.users.upsert('bob', { name: 'Bob' });
    const secret = appA.appSecret;
    const put = (over: Partial<RawSigned> = {}) =>
      template(appA.appKey, { method: 'PUT', url: '/v1/users/alice', body: JSON.stringify({ name: 'Mallory' }), ...over });
    const get = (over: Partial<RawSigned> = {}) =>
      template(appA.appKey, { url: '/v1/conversations/p%3Aalice%3Abob/messages?fromSeq=1&limit=5', ...over });
    // Untampered requests pass (the helper signs exactly like the SDK).
    assert.equal((await sendSigned(baseUrl, secret, put({ body: JSON.stringify({ name: 'Alice' }) }))).status, 200);
    assert.equal((await sendSigned(baseUrl, secret, get())).status, 200);
    const tampers: Array<[string, RawSigned, (r: RawSigned) => void]> = [
      ['method', template(appA.appKey, { url: '/v1/users/alice' }), (r) => (r.method = 'PUT')],
      ['path', put(), (r) => (r.url = '/v1/users/bob')],
      ['query value', get(), (r) => (r.url = r.url.replace('limit=5', 'limit=6'))],
      ['query added', get(), (r) => (r.url += '&toSeq=3')],
      ['query removed', get(), (r) => (r.url = r.url.replace('&limit=5', ''))],
      ['body', put(), (r) => (r.body = JSON.stringify({ name: 'Malloryy' }))],
      ['body whitespace', put(), (r) => (r.body = r.body.replace(':', ': '))],
      ['timestamp', put(), (r) => (r.timestamp = String(Number(r.timestamp) - 1))],
      ['nonce', put(), (r) => (r.nonce = newNonce())],
      ['app key', put(), (r) => (r.appKey = r.appKey + 'x')],
      ['signature', put(), (r) => (r.signature = r.signature!.replace(/^./, (c) => (c === '0' ? '1' : '0')))],
      ['signature case', put(), (r) => (r.signature = r.signature!.slice(0, 10))],
    ];
    for (const [what, req, tamper] of tampers) {
      const r = await sendSigned(baseUrl, secret, req, tamper);
      const expected = what === 'app key' ? 'auth.app_unknown' : 'api.signature_invalid';
      assert.deepEqual([what, r.status, r.body.code], [what, 401, expected]);
    }
    assert.equal((await a.users.get('alice')).name, 'Alice', 'no tampered write took effect');
    // Query order does not matter: the canonical query is sorted.
    const reordered = await sendSigned(baseUrl, secret, get(), (r) => (r.url = '/v1/conversations/p%3Aalice%3Abob/messages?limit=5&fromSeq=1'));
    assert.equal(reordered.status, 200);
    // Missing headers.
    const bare = await fetch(`${baseUrl}/v1/users/alice`);
    assert.deepEqual([bare.status, ((await bare.json()) as { code: string }).code], [401, 'api.signature_invalid']);
  } finally {
    await node.dispose();
  }
});

test('server api signing - a replayed nonce is rejected, even with a fresh timestamp; nonces are per app', async () => {
  const { node, baseUrl, appA, appB } = await apiNode();
  try {
    const req = template(appA.appKey);
    assert.equal((await sendSigned(baseUrl, appA.appSecret, req)).body.code, 'user.not_found');
    const replay = await sendSigned(baseUrl, appA.appSecret, req);
    assert.deepEqual([replay.status, replay.body.code], [401, 'api.nonce_replayed']);
    const resigned = await sendSigned(baseUrl, appA.appSecret, { ...req, timestamp: String(Date.now() + 1) });
    assert.equal(resigned.body.code, 'api.nonce_replayed');
    const otherApp = await sendSigned(baseUrl, appB.appSecret, { ...req, appKey: appB.appKey });
    assert.equal(otherApp.body.code, 'user.not_found');
  } finally {
    await node.dispose();
  }
});

test('server api signing - stale and future timestamps are rejected, the window edge is accepted', async () => {
  const { node, baseUrl, appA } = await apiNode();
  try {
    const at = (offsetMs: number) => sendSigned(baseUrl, appA.appSecret, template(appA.appKey, { timestamp: String(Date.now() + offsetMs) }));
    assert.equal((await at(-6 * 60_000)).body.code, 'api.timestamp_stale');
    assert.equal((await at(6 * 60_000)).body.code, 'api.timestamp_stale');
    assert.equal((await at(-4 * 60_000)).body.code, 'user.not_found');
    assert.equal((await at(4 * 60_000)).body.code, 'user.not_found');
    const garbage = await sendSigned(baseUrl, appA.appSecret, template(appA.appKey, { timestamp: '12abc' }));
    assert.equal(garbage.body.code, 'api.signature_invalid');
  } finally {
    await node.dispose();
  }
});

test('server api signing - unknown app, disabled app, rotated secret with and without grace', async () => {
  const { node, baseUrl, admin, appA, appB } = await apiNode();
  try {
    assert.equal((await sendSigned(baseUrl, 'whatever', template('app_unknown'))).body.code, 'auth.app_unknown');
    await admin.apps.disable(appB.appKey);
    const disabled = await sendSigned(baseUrl, appB.appSecret, template(appB.appKey));
    assert.deepEqual([disabled.status, disabled.body.code], [403, 'auth.app_disabled']);
    assert.equal((await sendSigned(baseUrl, 'wrong', template(appB.appKey))).body.code, 'api.signature_invalid', 'a disabled app does not tell its state to strangers');
    const graced = await admin.apps.rotateSecret(appA.appKey, 60);
    assert.equal((await sendSigned(baseUrl, appA.appSecret, template(appA.appKey))).body.code, 'user.not_found');
    assert.equal((await sendSigned(baseUrl, graced.appSecret, template(appA.appKey))).body.code, 'user.not_found');
    const hard = await admin.apps.rotateSecret(appA.appKey, 0);
    assert.equal((await sendSigned(baseUrl, graced.appSecret, template(appA.appKey))).body.code, 'api.signature_invalid');
    assert.equal((await sendSigned(baseUrl, appA.appSecret, template(appA.appKey))).body.code, 'api.signature_invalid');
    assert.equal((await sendSigned(baseUrl, hard.appSecret, template(appA.appKey))).body.code, 'user.not_found');
  } finally {
    await node.dispose();
  }
});

test('server api - operator routes need the operator credential; app signatures never reach them', async () => {
  const { node, baseUrl, appA } = await apiNode();
  try {
    for (const auth of [undefined, 'Bearer wrong', `Bearer ${appA.appSecret}`, node.info.operatorToken!]) {
      const res = await fetch(`${baseUrl}/v1/admin/apps`, auth ? { headers: { authorization: auth } } : {});
      assert.deepEqual([res.status, ((await res.json()) as { code: string }).code], [401, 'api.operator_unauthorized'], String(auth));
    }
    const signed = await sendSigned(baseUrl, appA.appSecret, template(appA.appKey, { url: '/v1/admin/apps' }));
    assert.equal(signed.body.code, 'api.operator_unauthorized');
    const unknown = await sendSigned(baseUrl, appA.appSecret, template(appA.appKey, { url: '/v1/nothing' }));
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'api.not_found']);
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
  } finally {
    await node.dispose();
  }
});

test('server api - production refuses to start without a strong operator token or a master key', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-prod-'));
  try {
    const masterKey = Buffer.alloc(32, 7).toString('base64');
    const start = (operatorToken: string, key = masterKey) =>
      startNode(loadConfig({ overrides: { port: 0, dataDir, mode: 'production', operatorToken, masterKey: key } }), createLogger('silent'));
    await assert.rejects(start('q8Zr2mVx7LkP0wNs4TgY1bHc6JdE9uFa', ''), /masterKey/);
    await assert.rejects(start(''), /operatorToken/);
    await assert.rejects(start('changeme'), /too weak/);
    const node = await start('q8Zr2mVx7LkP0wNs4TgY1bHc6JdE9uFa');
    assert.equal(node.info.operatorToken, undefined, 'a configured token is never written to runtime.json');
    await node.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
