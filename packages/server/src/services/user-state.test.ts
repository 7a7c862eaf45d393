import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBus } from '../bus/local/local-bus.ts';
import { createLogger } from '../log/logger.ts';
import { createSqliteStore } from '../storage/sqlite/store.ts';
import { createUserState, type UserCloseCode } from './user-state.ts';

const until = async (ok: () => boolean, what: string, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('user state - a change on one node closes and refuses on the others over the bus; a change the bus lost is picked up by the reload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-users-'));
  const store = await createSqliteStore({ path: join(dir, 'tidings.db') });
  const bus = createLocalBus();
  const log = createLogger('silent');
  const closed: Array<[string, string, string, UserCloseCode]> = [];
  // Two nodes on one bus and one store; node b reloads quickly.
  const node = (name: string, refreshMs: number) =>
    createUserState({ store, bus, log, refreshMs, closeLocal: (appKey, userId, code) => closed.push([name, appKey, userId, code]) });
  const a = node('a', 3_600_000);
  const b = node('b', 50);
  try {
    await store.deleteUser('app1', 'old', 1);
    await a.start();
    await b.start();
    assert.equal(a.isDeleted('app1', 'old'), true, 'start loads the deleted users');

    await store.deleteUser('app1', 'alice', 10);
    a.changed({ appKey: 'app1', userId: 'alice', deleted: true, close: 'auth.user_deleted' });
    assert.equal(a.isDeleted('app1', 'alice'), true, 'applied on the answering node at once');
    assert.equal(b.isDeleted('app1', 'alice'), true, 'and on the other node through the bus');
    assert.equal(b.isDeleted('app2', 'alice'), false, 'per app');
    assert.deepEqual(closed.filter(([n]) => n === 'b'), [['b', 'app1', 'alice', 'auth.user_deleted']]);
    a.changed({ appKey: 'app1', userId: 'bob', close: 'auth.user_blocked' });
    assert.equal(b.isDeleted('app1', 'bob'), false, 'a block closes without deleting');
    assert.ok(closed.some(([n, , u, c]) => n === 'b' && u === 'bob' && c === 'auth.user_blocked'));

    // A deletion whose bus message was lost (written to the store only): b's reload finds it, a (no reload soon) does not.
    await store.deleteUser('app1', 'carol', 20);
    await until(() => b.isDeleted('app1', 'carol'), 'the reload to find carol');
    assert.equal(a.isDeleted('app1', 'carol'), false);
    // Re-created through a: b forgets it at once, and its reload agrees with the store.
    await store.upsertUser('app1', 'alice', { name: 'Alice', avatarUrl: '', extra: '' }, 30);
    a.changed({ appKey: 'app1', userId: 'alice', deleted: false });
    assert.equal(b.isDeleted('app1', 'alice'), false);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual([b.isDeleted('app1', 'alice'), b.isDeleted('app1', 'carol'), b.isDeleted('app1', 'old')], [false, true, true]);
  } finally {
    a.close();
    b.close();
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
