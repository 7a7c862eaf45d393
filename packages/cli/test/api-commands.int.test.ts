import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, loadConfig, startNode } from '@tidings/server';
import { createServerClient } from '@tidings/server-sdk';

const root = resolve(import.meta.dirname, '../../..');
const main = join(root, 'packages/cli/src/main.ts');
const exec = promisify(execFile);

test('cli - app, user and message commands drive the server API with --json output', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-cli-api-'));
  const node = await startNode(loadConfig({ overrides: { port: 0, dataDir, logLevel: 'silent' } }), createLogger('silent'));
  const env = { ...process.env };
  for (const k of ['TIDINGS_URL', 'TIDINGS_OPERATOR_TOKEN', 'TIDINGS_APP_KEY', 'TIDINGS_APP_SECRET']) delete env[k];
  const cli = async (...args: string[]) => JSON.parse((await exec(process.execPath, [main, ...args, '--data-dir', dataDir, '--json'], { cwd: root, env })).stdout);
  try {
    const shop = await cli('app', 'create', 'shop');
    assert.match(shop.appKey, /^app_/);
    const creds = ['--app', shop.appKey, '--secret', shop.appSecret];
    assert.ok((await cli('app', 'list')).some((a: { appKey: string }) => a.appKey === shop.appKey));

    assert.equal((await cli('user', 'upsert', 'alice', '--name', 'Alice', '--extra', '{"vip":true}', ...creds)).name, 'Alice');
    assert.equal((await cli('user', 'get', 'alice', ...creds)).extra, '{"vip":true}');
    assert.match((await cli('user', 'token', 'alice', '--ttl', '60', ...creds)).token, /^ey/);
    assert.equal((await cli('user', 'online', 'alice', ...creds)).online, false);
    assert.equal((await cli('user', 'block', 'alice', ...creds)).blocked, true);
    assert.equal((await cli('user', 'unblock', 'alice', ...creds)).blocked, false);
    assert.ok((await cli('user', 'revoke', 'alice', ...creds)).tokensValidAfter > 0);
    const deleted = await cli('user', 'delete', 'carol', ...creds);
    assert.deepEqual([deleted.userId, deleted.name, deleted.deletedAt > 0], ['carol', '', true]);
    await assert.rejects(cli('user', 'token', 'carol', ...creds), (err: { code: number; stderr: string }) => err.code === 2 && /user\.deleted/.test(err.stderr));

    const sent = await cli('message', 'send', '--from', 'alice', '--to', 'bob', '--text', 'hello', '--key', 'k1', ...creds);
    assert.deepEqual([sent.convId, sent.seq, sent.duplicate], ['p:alice:bob', 1, false]);
    assert.equal((await cli('message', 'send', '--from', 'alice', '--to', 'bob', '--text', 'hello', '--key', 'k1', ...creds)).duplicate, true);
    assert.equal((await cli('message', 'send', '--system', '--to', 'bob', '--text', 'notice', ...creds)).convId, 's:bob');
    const history = await cli('message', 'history', 'p:alice:bob', '--from-seq', '1', ...creds);
    assert.deepEqual(history.messages.map((m: { text: string }) => m.text), ['hello']);
    assert.equal((await cli('message', 'recall', 'p:alice:bob', '1', ...creds)).seq, 2);
    // Into a chatroom, as the app or on a user's behalf (who need not be joined).
    await createServerClient({ baseUrl: node.info.httpUrl, appKey: shop.appKey, appSecret: shop.appSecret }).chatrooms.create('lobby');
    const posted = await cli('message', 'send', '--room', 'lobby', '--from', 'alice', '--text', 'hi all', '--key', 'r1', '--priority', 'high', ...creds);
    assert.deepEqual([posted.convId, posted.seq, posted.duplicate, posted.shed], ['r:lobby', 1, false, false]);
    assert.equal((await cli('message', 'send', '--room', 'lobby', '--from', 'alice', '--text', 'hi all', '--key', 'r1', ...creds)).duplicate, true);
    assert.equal((await cli('message', 'send', '--room', 'lobby', '--text', 'from the app', ...creds)).seq, 2);
    await assert.rejects(cli('message', 'send', '--room', 'nowhere', '--text', 'x', ...creds), (err: { code: number; stderr: string }) => err.code === 2 && /conv\.not_found/.test(err.stderr));

    // The key SDK clients pin, from the signed API; a chat with a remote --url and no key to pin is refused.
    assert.deepEqual(await cli('server-key', ...creds), { serverKey: node.info.serverKey });
    await assert.rejects(
      exec(process.execPath, [main, 'chat', '--user', 'alice', '--to', 'bob', '--url', node.info.wsUrl, '--data-dir', dataDir], { cwd: root, env }),
      (err: { code: number; stderr: string }) => err.code === 2 && /--server-key/.test(err.stderr),
    );

    // The development app is the default credential; errors name their code and exit with 2.
    assert.equal((await cli('message', 'send', '--from', 'a', '--to', 'b', '--text', 'dev')).seq, 1);
    const rotated = await cli('app', 'rotate-secret', shop.appKey, '--grace', '0');
    assert.notEqual(rotated.appSecret, shop.appSecret);
    await assert.rejects(cli('user', 'get', 'alice', ...creds), (err: { code: number; stderr: string }) => err.code === 2 && /api\.signature_invalid/.test(err.stderr));
    assert.equal((await cli('app', 'disable', shop.appKey)).disabled, true);
  } finally {
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
