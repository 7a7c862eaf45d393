import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load.ts';
import { envName } from './schema.ts';

test('config - precedence is defaults < file < env < overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 1000, host: '0.0.0.0', logLevel: 'warn' }));
  const c = loadConfig({ file, env: { TIDINGS_PORT: '2000', TIDINGS_HOST: '::1' }, overrides: { port: 3000 } });
  assert.equal(c.port, 3000);
  assert.equal(c.host, '::1');
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.maxFrameBytes, 64 * 1024);
  assert.ok(Object.isFrozen(c));
});

test('config - invalid values fail with the setting named', () => {
  assert.throws(() => loadConfig({ env: { TIDINGS_PORT: 'abc' } }), (e: unknown) => e instanceof ConfigError && /TIDINGS_PORT/.test(e.message));
  assert.throws(() => loadConfig({ overrides: { port: 70000 } }), /between 0 and 65535/);
  assert.throws(() => loadConfig({ env: { TIDINGS_MODE: 'prod' } }), /one of development, production/);
});

test('config - env names', () => {
  assert.equal(envName('dataDir'), 'TIDINGS_DATA_DIR');
  assert.equal(envName('maxFrameBytes'), 'TIDINGS_MAX_FRAME_BYTES');
});
