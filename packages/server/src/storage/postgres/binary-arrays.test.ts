import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { byteaArray, int4Array, int8Array, textArray } from './binary-arrays.ts';
import { POSTGRES_URL, adminQuery } from './pg.fixture.ts';

const client = new pg.Client({ connectionString: POSTGRES_URL });
before(async () => {
  await adminQuery('SELECT 1');
  await client.connect();
});
after(() => client.end());

/** What PostgreSQL decodes `param` as, read back as JSON (no client-side array parsing involved). */
async function roundTrip(param: Buffer, type: string): Promise<unknown> {
  const { rows } = await client.query({ text: `SELECT to_json($1::${type}) AS v`, values: [param] });
  return rows[0].v;
}

test('binary arrays - text of any length and script, empty and no elements, as PostgreSQL decodes them', async () => {
  const values = ['', 'a', 'é', '日本語', '😀 and 👩‍👩‍👧', 'tab\tnewline\n"quote" \\back', 'x'.repeat(70_000), 'end'];
  assert.deepEqual(await roundTrip(textArray(values), 'text[]'), values);
  assert.deepEqual(await roundTrip(textArray([]), 'text[]'), []);
});

test('binary arrays - bigint, integer and bytea elements', async () => {
  const big = [0, 1, -1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  assert.deepEqual((await roundTrip(int8Array(big), 'bigint[]')) as number[], big);
  assert.deepEqual(await roundTrip(int4Array([0, -5, 2 ** 31 - 1]), 'integer[]'), [0, -5, 2 ** 31 - 1]);
  const bytes = [new Uint8Array(0), new Uint8Array([0, 255, 1])];
  assert.deepEqual(await roundTrip(byteaArray(bytes), 'bytea[]'), ['\\x', '\\x00ff01']);
  assert.throws(() => int8Array([2 ** 53]), RangeError);
});
