import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { POSTGRES_URL, adminQuery, dropSchema, freshSchemaName } from '../../storage/postgres/pg.fixture.ts';
import { createPostgresPresence } from './presence.ts';

const schema = freshSchemaName();
before(() => adminQuery('SELECT 1'));
after(() => dropSchema(schema));

const open = (nodeId: string, heartbeatMs = 50, ttlMs = 300) =>
  createPostgresPresence({ url: POSTGRES_URL, schema, nodeId, heartbeatMs, ttlMs });

test('postgres presence - a user online on one node is online for every node; offline when the last device leaves', async () => {
  const [a, b] = await Promise.all([open('n1'), open('n2')]);
  try {
    a.changed('app', 'alice', true);
    await sleep(30);
    assert.equal(await b.isOnline('app', 'alice'), true);
    assert.equal(await b.isOnline('app', 'bob'), false);
    assert.equal(await b.isOnline('other', 'alice'), false, 'apps are separate');
    a.changed('app', 'alice', false);
    await sleep(30);
    assert.equal(await b.isOnline('app', 'alice'), false);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgres presence - a node that stops heartbeating is removed with its users; it re-registers when it comes back', async () => {
  const survivor = await open('n1');
  // Beats every 10 s: silent for longer than the 300 ms ttl, like a paused process.
  const silent = await open('n2', 10_000);
  try {
    silent.changed('app', 'carol', true);
    await sleep(30);
    assert.equal(await survivor.isOnline('app', 'carol'), true);
    await sleep(450);
    assert.equal(await survivor.isOnline('app', 'carol'), false, 'expired with its node');
    const rows = await countRows(`SELECT count(*) FROM ${schema}.presence_users WHERE instance = '${silent.instance}'`);
    assert.equal(rows, 0, 'the survivor swept the dead node and its users');
  } finally {
    await Promise.all([survivor.close(), silent.close()]);
  }
  const back = await open('n3', 50, 300);
  try {
    back.changed('app', 'dave', true);
    // Simulate being swept while paused: the next beat must bring every user back.
    await sleep(30);
    await adminQuery(`DELETE FROM ${schema}.presence_nodes WHERE instance = '${back.instance}'`);
    assert.equal(await back.isOnline('app', 'dave'), false);
    await sleep(120);
    assert.equal(await back.isOnline('app', 'dave'), true, 're-registered with its users');
  } finally {
    await back.close();
  }
});

async function countRows(sql: string): Promise<number> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    return Number((await c.query(sql)).rows[0].count);
  } finally {
    await c.end();
  }
}
