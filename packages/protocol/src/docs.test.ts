import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from './errors.ts';

test('docs - every error code is documented in docs/protocol.md with its close code', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/protocol.md'), 'utf8');
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `${code} is missing from docs/protocol.md`);
    assert.ok(row.includes(`| ${spec.close || '-'} |`), `${code}: close code ${spec.close} not in "${row}"`);
  }
});
