import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuery, sign, signatureMatches } from './canonical.ts';

// The same vector is checked by the server SDK (packages/server-sdk/src/signing.test.ts).
const vector = {
  appKey: 'app_test',
  timestamp: '1700000000000',
  nonce: 'n0nce-0123456789ab',
  method: 'post',
  url: '/v1/messages/private?b=2&a=%20x&a=1',
  body: new TextEncoder().encode('{"from":"alice"}'),
};
const expected = 'e09d547712fe4ef5b7abd5ea4d8c79ebb67238923f71f45cdd4cf63ac797ecf1';

test('api signing - the reference vector signs as the server SDK does', () => {
  assert.equal(sign('s3cret', vector), expected);
  assert.equal(canonicalQuery('q=a+b&s=%7e*'), 'q=a%20b&s=~%2A');
});

test('api signing - a signature matches any of the given secrets and nothing malformed', () => {
  assert.equal(signatureMatches(expected, ['other', 's3cret'], vector), true);
  assert.equal(signatureMatches(expected, ['other'], vector), false);
  assert.equal(signatureMatches(expected.slice(2), ['s3cret'], vector), false);
  assert.equal(signatureMatches(expected.toUpperCase(), ['s3cret'], vector), false);
  assert.equal(signatureMatches('', [], vector), false);
});
