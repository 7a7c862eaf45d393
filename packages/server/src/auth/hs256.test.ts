import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { verifyHs256 } from './hs256.ts';

const key = randomBytes(32);
const otherKey = randomBytes(32);
const NOW = 1_800_000_000;
const expect = { issuer: 'tidings', audience: 'app_a', now: NOW };

/** jose's verdict with the options tokens.ts used: 'ok', 'expired' or 'invalid'. */
async function joseVerdict(token: string): Promise<string> {
  try {
    await jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'tidings', audience: 'app_a', currentDate: new Date(NOW * 1000), requiredClaims: ['sub', 'exp'] });
    return 'ok';
  } catch (err) {
    return err instanceof errors.JWTExpired ? 'expired' : 'invalid';
  }
}

function ourVerdict(token: string): string {
  const r = verifyHs256(token, createSecretKey(key), expect);
  return r.ok ? 'ok' : r.expired ? 'expired' : 'invalid';
}

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const claims = fc.record({
  iss: maybe(fc.constantFrom('tidings', 'other', 7)),
  aud: maybe(fc.constantFrom<string | string[] | number>('app_a', 'app_b', ['app_b', 'app_a'], ['app_b'], 3)),
  sub: maybe(fc.constantFrom<string | number | null>('alice', '', 42, null)),
  exp: maybe(fc.oneof(fc.integer({ min: NOW - 100, max: NOW + 100 }), fc.constantFrom<unknown>('soon', null, NOW + 0.5))),
  nbf: maybe(fc.oneof(fc.integer({ min: NOW - 100, max: NOW + 100 }), fc.constantFrom<unknown>('x'))),
  iat: maybe(fc.oneof(fc.integer({ min: NOW - 100, max: NOW + 100 }), fc.constantFrom<unknown>('x'))),
});
const shape = fc.record({
  alg: fc.constantFrom('HS256', 'HS256', 'HS256', 'HS384', 'none'),
  wrongKey: fc.boolean(),
  tamper: fc.constantFrom('none', 'none', 'payload', 'signature', 'header'),
  crit: fc.boolean(),
});

async function make(c: Record<string, unknown>, s: { alg: string; wrongKey: boolean; tamper: string; crit: boolean }): Promise<string> {
  const payload = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as JWTPayload;
  let token: string;
  if (s.alg === 'none') token = new UnsecuredJWT(payload).encode();
  else {
    const k = s.wrongKey ? otherKey : s.alg === 'HS384' ? Buffer.concat([key, key]) : key;
    if (s.crit && s.alg === 'HS256') {
      // jose will not sign an unknown critical header: sign it by hand.
      const h = Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['exp-ext'], 'exp-ext': true })).toString('base64url');
      const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
      token = `${h}.${p}.${createHmac('sha256', k).update(`${h}.${p}`).digest('base64url')}`;
    } else token = await new SignJWT(payload).setProtectedHeader({ alg: s.alg, typ: 'JWT' }).sign(k);
  }
  const [h, p, sig] = token.split('.') as [string, string, string];
  if (s.tamper === 'payload') return `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url')}.${sig}`;
  if (s.tamper === 'signature') return `${h}.${p}.${sig.slice(0, 5)}${sig[5] === 'A' ? 'B' : 'A'}${sig.slice(6)}`;
  if (s.tamper === 'header') return `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.${sig}`;
  return token;
}

test('hs256 - the same verdict as jose jwtVerify (HS256, issuer, audience, sub and exp required) over generated tokens', async () => {
  await fc.assert(
    fc.asyncProperty(claims, shape, async (c, s) => {
      const token = await make(c, s);
      assert.equal(ourVerdict(token), await joseVerdict(token), token);
    }),
    { numRuns: 1500 },
  );
});

test('hs256 - garbage, truncated and wrongly keyed tokens are invalid', async () => {
  const good = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('tidings').setAudience('app_a').setExpirationTime(NOW + 60).sign(key);
  assert.equal(ourVerdict(good), 'ok');
  for (const t of ['', 'a.b', 'a.b.c.d', 'x.y.z', good.slice(0, -2), `${good}.`, good.replace(/\./g, '')]) assert.equal(ourVerdict(t), 'invalid', t);
  assert.equal(verifyHs256(good, createSecretKey(otherKey), expect).ok, false);
  assert.equal(verifyHs256(good, createSecretKey(key), { ...expect, now: NOW + 60 }).ok, false);
});
