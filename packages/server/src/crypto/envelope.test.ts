import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newWrappedKey, openContent, sealContent, sealedKeyId, unwrapKey } from './envelope.ts';

const master = randomBytes(32);
const text = (s: string) => new TextEncoder().encode(s);

test('at rest - content round trips and the plaintext is not in the sealed bytes', () => {
  const wk = newWrappedKey(master, 'app1', 1);
  const dk = unwrapKey(master, wk);
  const sealed = sealContent(dk, 1, 'app1', 'p:a:b', 7, text('attack at dawn'));
  assert.equal(sealedKeyId(sealed), 1);
  assert.ok(!Buffer.from(sealed).includes(Buffer.from('attack')));
  assert.equal(new TextDecoder().decode(openContent(dk, 'app1', 'p:a:b', 7, sealed)), 'attack at dawn');
});

test('at rest - a blob moved to another app, conversation or seq does not open; tampering is detected', () => {
  const dk = unwrapKey(master, newWrappedKey(master, 'app1', 1));
  const sealed = sealContent(dk, 1, 'app1', 'p:a:b', 7, text('x'));
  assert.throws(() => openContent(dk, 'app2', 'p:a:b', 7, sealed));
  assert.throws(() => openContent(dk, 'app1', 'p:a:c', 7, sealed));
  assert.throws(() => openContent(dk, 'app1', 'p:a:b', 8, sealed));
  const bad = Uint8Array.from(sealed);
  bad[bad.length - 1]! ^= 1;
  assert.throws(() => openContent(dk, 'app1', 'p:a:b', 7, bad));
});

test('at rest - a wrapped key opens only under its master key and its own binding', () => {
  const wk = newWrappedKey(master, 'app1', 3);
  assert.throws(() => unwrapKey(randomBytes(32), wk));
  assert.throws(() => unwrapKey(master, { ...wk, appKey: 'app2' }));
  assert.throws(() => unwrapKey(master, { ...wk, keyId: 4 }));
});

test('at rest - rows stored before encryption, even binary ones starting like a version byte, are not mistaken for sealed blobs', () => {
  const legacy = Uint8Array.from([0x01, ...randomBytes(64)]);
  assert.equal(sealedKeyId(legacy), undefined);
  assert.equal(sealedKeyId(new Uint8Array(0)), undefined);
});
