import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testNode } from './helpers/node.ts';

const committed = join(import.meta.dirname, '../../../docs/openapi.json');

test('openapi - the committed docs/openapi.json equals the document the server serves', async () => {
  const node = await testNode();
  try {
    const res = await fetch(`${node.info.httpUrl}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const served = await res.json();
    // TIDINGS_WRITE_OPENAPI=1 regenerates the committed file after a route change.
    if (process.env.TIDINGS_WRITE_OPENAPI === '1') writeFileSync(committed, JSON.stringify(served, null, 2) + '\n');
    assert.deepEqual(JSON.parse(readFileSync(committed, 'utf8')), served, 'run with TIDINGS_WRITE_OPENAPI=1 to regenerate');
    const doc = served as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    assert.equal(doc.openapi, '3.0.3');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) assert.ok(op.responses['200'] && op.responses['4XX'], `${method} ${path} documents its answers`);
    }
  } finally {
    await node.dispose();
  }
});
