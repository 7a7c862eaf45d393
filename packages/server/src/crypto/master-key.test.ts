import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadMasterKey, MasterKeyError } from './master-key.ts';

test('master key - generated once per embedded data dir, then reused; refused when malformed or missing in production', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-mk-'));
  const a = loadMasterKey({ configured: '', dataDir, cluster: false, production: false });
  assert.equal(a.source, 'generated');
  assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  const b = loadMasterKey({ configured: '', dataDir, cluster: false, production: false });
  assert.deepEqual([b.source, Buffer.compare(Buffer.from(a.key!), Buffer.from(b.key!))], ['file', 0]);
  const k = randomBytes(32);
  assert.deepEqual(loadMasterKey({ configured: k.toString('base64'), dataDir, cluster: true, production: true }).key, k);
  assert.throws(() => loadMasterKey({ configured: 'c2hvcnQ=', dataDir, cluster: false, production: false }), MasterKeyError);
  assert.throws(() => loadMasterKey({ configured: '', dataDir, cluster: false, production: true }), /production mode needs masterKey/);
  assert.equal(loadMasterKey({ configured: '', dataDir, cluster: true, production: false }).source, 'off');
});
