import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { issueUserToken, verifyUserToken } from './tokens.ts';
import { newApp } from './credentials.ts';
import type { AppRecord } from '../storage/port.ts';
import { createSqliteStore } from '../storage/sqlite/store.ts';

const a = newApp('a');
const b = newApp('b');
const apps = new Map<string, AppRecord>([
  [a.appKey, a],
  [b.appKey, b],
]);
const find = async (k: string) => apps.get(k);

test('auth - a fresh token verifies to its app and user', async () => {
  const t = await issueUserToken(a, 'alice', 60);
  const r = await verifyUserToken(t, find);
  assert.deepEqual(r.ok && { app: r.claims.appKey, user: r.claims.userId }, { app: a.appKey, user: 'alice' });
});

test('auth - expired, garbage, missing and unknown-app tokens get their codes', async () => {
  const old = await issueUserToken(a, 'alice', 10, Date.now() - 3600_000);
  assert.deepEqual(await verifyUserToken(old, find), { ok: false, code: 'auth.token_expired' });
  assert.deepEqual(await verifyUserToken('x.y.z', find), { ok: false, code: 'auth.token_invalid' });
  assert.deepEqual(await verifyUserToken('', find), { ok: false, code: 'auth.token_missing' });
  const ghost = await issueUserToken({ appKey: 'app_ghost', tokenKey: a.tokenKey }, 'alice', 60);
  assert.deepEqual(await verifyUserToken(ghost, find), { ok: false, code: 'auth.app_unknown' });
});

test('auth - a token signed with app A key but naming app B is rejected', async () => {
  const forged = await issueUserToken({ appKey: b.appKey, tokenKey: a.tokenKey }, 'mallory', 60);
  assert.deepEqual(await verifyUserToken(forged, find), { ok: false, code: 'auth.token_invalid' });
});

test('auth - alg none and other algorithms are rejected', async () => {
  const none = new UnsecuredJWT({}).setIssuer('tidings').setAudience(a.appKey).setSubject('alice').setExpirationTime('1h').encode();
  assert.deepEqual(await verifyUserToken(none, find), { ok: false, code: 'auth.token_invalid' });
  const hs512 = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS512' })
    .setIssuer('tidings')
    .setAudience(a.appKey)
    .setSubject('alice')
    .setExpirationTime('1h')
    .sign(Buffer.from(a.tokenKey + a.tokenKey, 'base64url'));
  assert.deepEqual(await verifyUserToken(hs512, find), { ok: false, code: 'auth.token_invalid' });
});

test('auth - disabled app', async () => {
  const t = await issueUserToken(a, 'alice', 60);
  const r = await verifyUserToken(t, async (k) => (k === a.appKey ? { ...a, disabled: true } : undefined));
  assert.deepEqual(r, { ok: false, code: 'auth.app_disabled' });
});

test('auth - a revoked token and a blocked user are refused, a token issued after revocation works', async () => {
  const t0 = 1_800_000_000_000;
  const old = await issueUserToken(a, 'alice', 600, t0);
  const user = { appKey: a.appKey, userId: 'alice', name: '', avatarUrl: '', extra: '', blocked: false, tokensValidAfter: t0 + 1, deletedAt: 0, createdAt: 0, updatedAt: 0 };
  const findUser = async () => user;
  assert.deepEqual(await verifyUserToken(old, find, t0 + 2, findUser), { ok: false, code: 'auth.token_revoked' });
  const fresh = await issueUserToken(a, 'alice', 600, t0 + 1);
  assert.equal((await verifyUserToken(fresh, find, t0 + 2, findUser)).ok, true);
  assert.deepEqual(await verifyUserToken(fresh, find, t0 + 2, async () => ({ ...user, blocked: true })), {
    ok: false,
    code: 'auth.user_blocked',
  });
});

test('auth - a deleted user is refused (auth.user_deleted) with every token, old or new; re-creating them does not revive old tokens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-auth-'));
  const store = await createSqliteStore({ path: join(dir, 'tidings.db') });
  try {
    const app = newApp('shop');
    await store.createApp(app);
    const findApp = (k: string) => store.getApp(k);
    const findUser = (k: string, u: string) => store.getUser(k, u);
    const t0 = 1_800_000_000_000;
    await store.upsertUser(app.appKey, 'alice', { name: 'Alice', avatarUrl: '', extra: '' }, t0);
    const before = await issueUserToken(app, 'alice', 3600, t0 + 1);
    assert.equal((await verifyUserToken(before, findApp, t0 + 2, findUser)).ok, true);
    await store.deleteUser(app.appKey, 'alice', t0 + 10);
    assert.deepEqual(await verifyUserToken(before, findApp, t0 + 11, findUser), { ok: false, code: 'auth.user_deleted' });
    // The app's backend holds the token key and may mint a token after the deletion: refused all the same.
    const after = await issueUserToken(app, 'alice', 3600, t0 + 20);
    assert.deepEqual(await verifyUserToken(after, findApp, t0 + 21, findUser), { ok: false, code: 'auth.user_deleted' });
    // Deletion does not spill over to another user of the app.
    assert.equal((await verifyUserToken(await issueUserToken(app, 'bob', 3600, t0 + 20), findApp, t0 + 21, findUser)).ok, true);
    // Re-created: tokens from before the deletion stay dead, new ones work.
    await store.upsertUser(app.appKey, 'alice', { name: 'Alice 2', avatarUrl: '', extra: '' }, t0 + 30);
    assert.deepEqual(await verifyUserToken(before, findApp, t0 + 31, findUser), { ok: false, code: 'auth.token_revoked' });
    const fresh = await issueUserToken(app, 'alice', 3600, t0 + 40);
    assert.equal((await verifyUserToken(fresh, findApp, t0 + 41, findUser)).ok, true);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('auth - not yet valid, wrong issuer and wrong audience are rejected', async () => {
  const key = Buffer.from(a.tokenKey, 'base64url');
  const base = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h');
  const future = await base().setIssuer('tidings').setAudience(a.appKey).setNotBefore('10m').sign(key);
  assert.deepEqual(await verifyUserToken(future, find), { ok: false, code: 'auth.token_invalid' });
  const issuer = await base().setIssuer('someone-else').setAudience(a.appKey).sign(key);
  assert.deepEqual(await verifyUserToken(issuer, find), { ok: false, code: 'auth.token_invalid' });
  const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('tidings').setAudience(a.appKey).setExpirationTime('1h').sign(key);
  assert.deepEqual(await verifyUserToken(noSub, find), { ok: false, code: 'auth.token_invalid' });
  // An audience naming app B with app A's key: B's key does not verify it.
  const audience = await base().setIssuer('tidings').setAudience(b.appKey).sign(key);
  assert.deepEqual(await verifyUserToken(audience, find), { ok: false, code: 'auth.token_invalid' });
  const two = await base().setIssuer('tidings').setAudience([a.appKey, b.appKey]).sign(key);
  assert.deepEqual(await verifyUserToken(two, find), { ok: false, code: 'auth.token_invalid' });
});
