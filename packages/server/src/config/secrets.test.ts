import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newApp } from '../auth/credentials.ts';
import { assertProductionSecrets } from './secrets.ts';
import { ConfigError } from './load.ts';

const strong = 'q8Zr2mVx7LkP0wNs4TgY1bHc6JdE9uFa';

test('config - production refuses an empty, short or well-known operator token', () => {
  for (const bad of ['', 'short', 'changeme', 'changemechangemechangemechangeme', 'a'.repeat(40)]) {
    assert.throws(() => assertProductionSecrets(bad, []), ConfigError, JSON.stringify(bad));
  }
  assert.doesNotThrow(() => assertProductionSecrets(strong, [newApp('shop')]));
});

test('config - production refuses an enabled dev app or an app with an empty secret', () => {
  assert.throws(() => assertProductionSecrets(strong, [newApp('dev')]), /development app/);
  assert.doesNotThrow(() => assertProductionSecrets(strong, [{ ...newApp('dev'), disabled: true }]));
  assert.throws(() => assertProductionSecrets(strong, [{ ...newApp('shop'), appSecret: '' }]), /empty secret/);
});
