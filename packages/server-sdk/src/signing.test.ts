import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuery, canonicalString, signRequest } from './signing.ts';

// The same vector is checked by the server (packages/server/src/api/canonical.test.ts).
const vector = {
  appKey: 'app_test',
  timestamp: '1700000000000',
  nonce: 'n0nce-0123456789ab',
  method: 'post',
  url: '/v1/messages/private?b=2&a=%20x&a=1',
  body: new TextEncoder().encode('{"from":"alice"}'),
};

test('signing - canonical string and signature of the reference vector', () => {
  assert.equal(
    canonicalString(vector),
    'TIDINGS-HMAC-SHA256\napp_test\n1700000000000\nn0nce-0123456789ab\nPOST\n/v1/messages/private\na=%20x&a=1&b=2\n' +
      '9d94b159a9093bd84cd1b47d2d072b97beafa2e911f13fb4e610d43100d3bb6e',
  );
  assert.deepEqual(signRequest('s3cret', vector), {
    'x-tidings-app': 'app_test',
    'x-tidings-timestamp': '1700000000000',
    'x-tidings-nonce': 'n0nce-0123456789ab',
    'x-tidings-signature': 'e09d547712fe4ef5b7abd5ea4d8c79ebb67238923f71f45cdd4cf63ac797ecf1',
  });
});

test('signing - the canonical query sorts pairs and normalises encoding', () => {
  assert.equal(canonicalQuery(''), '');
  assert.equal(canonicalQuery('z=1&a=2&a=1'), 'a=1&a=2&z=1');
  assert.equal(canonicalQuery('q=a+b&r=a%20b&s=%7e*'), 'q=a%20b&r=a%20b&s=~%2A');
  assert.equal(canonicalQuery('flag&x='), 'flag=&x=');
});

test('signing - every part changes the signature', () => {
  const base = signRequest('s3cret', vector)['x-tidings-signature'];
  const variants = [
    { ...vector, method: 'GET' },
    { ...vector, url: '/v1/messages/system?b=2&a=%20x&a=1' },
    { ...vector, url: '/v1/messages/private?b=3&a=%20x&a=1' },
    { ...vector, body: new TextEncoder().encode('{"from":"alicf"}') },
    { ...vector, timestamp: '1700000000001' },
    { ...vector, nonce: 'n0nce-0123456789ac' },
    { ...vector, appKey: 'app_tesu' },
  ];
  for (const v of variants) assert.notEqual(signRequest('s3cret', v)['x-tidings-signature'], base);
  assert.notEqual(signRequest('s3creu', vector)['x-tidings-signature'], base);
});
