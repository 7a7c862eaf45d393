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
    await until(() => survivor.isOnline('app', 'carol'), 'carol online for the survivor');
    // Its 300 ms ttl passes long before its next beat.
    await until(async () => !(await survivor.isOnline('app', 'carol')), 'carol to expire with her node');
    // Reads skip an expired node at once; the survivor's sweep deletes its rows on one of its next beats.
    await until(
      async () => (await countRows(`SELECT count(*) FROM ${schema}.presence_users WHERE instance = '${silent.instance}'`)) === 0,
      'the survivor to sweep the dead node and its users',
    );
  } finally {
    await Promise.all([survivor.close(), silent.close()]);
  }
  // Beats every 1 s: the sweep below lands well before its next beat, whatever the machine's load.
  const back = await open('n3', 1_000, 3_000);
  try {
    back.changed('app', 'dave', true);
    await until(() => back.isOnline('app', 'dave'), 'dave online');
    // Simulate being swept while paused: the next beat must bring every user back.
    await adminQuery(`DELETE FROM ${schema}.presence_nodes WHERE instance = '${back.instance}'`);
    assert.equal(await back.isOnline('app', 'dave'), false);
    await until(() => back.isOnline('app', 'dave'), 're-registered with its users');
  } finally {
    await back.close();
  }
});

/** Polls `f` until true (5 s at most). */
async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await f())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

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
