// These tests exercise the launcher's own mechanics (spawn, readiness, kill,
// stop, restart on the same port, cleanup) against a FAKE server script
// written to a temp dir, because they must not depend on the real server.
// Integration tests run the real server through the same launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LauncherError, makeTempDir, startServer } from './launcher.ts';

const FAKE_SERVER = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const mode = process.env.FAKE_MODE ?? 'ok';
console.log('fake server starting, mode=' + mode);
if (mode === 'crash') { console.error('boom: cannot start'); process.exit(3); }
if (mode === 'hang') { console.error('stuck before listening'); setInterval(() => {}, 1000); }
else {
  const server = createServer((_req, res) => res.end('ok'));
  server.listen(Number(arg('--port')), '127.0.0.1', () => {
    const port = server.address().port;
    writeFileSync(join(arg('--data-dir'), 'runtime.json'), JSON.stringify({
      pid: process.pid, port, wsUrl: 'ws://127.0.0.1:' + port, httpUrl: 'http://127.0.0.1:' + port,
      nodeId: 'fake', devApp: { appKey: 'k', appSecret: 's', tokenKey: 't' },
    }));
  });
  process.on('SIGTERM', () => {
    if (mode === 'ignore-term') return;
    server.close(() => process.exit(0));
  });
}
`;

async function fakeEntry(): Promise<{ entry: string; dispose: () => Promise<void> }> {
  const dir = await makeTempDir('tidings-fake-');
  const entry = join(dir, 'fake-server.mjs');
  await writeFile(entry, FAKE_SERVER);
  return { entry, dispose: () => rm(dir, { recursive: true, force: true }) };
}

test('launcher mechanics (fake server) - starts, reads runtime.json and cleans up its temp dir', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  const server = await startServer({ entry: fake.entry });
  assert.ok(server.port > 0);
  assert.equal(server.wsUrl, `ws://127.0.0.1:${server.port}`);
  assert.equal(server.devApp.appKey, 'k');
  assert.equal(server.nodeId, 'fake');
  assert.ok(server.running);
  assert.equal(await (await fetch(server.httpUrl)).text(), 'ok');
  assert.match(server.output(), /mode=ok/);
  await server.cleanup();
  assert.equal(server.running, false);
  assert.equal(existsSync(server.dataDir), false);
});

test('launcher mechanics (fake server) - kill -9 then restart keeps data dir and port', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  const server = await startServer({ entry: fake.entry });
  t.after(() => server.cleanup());
  const { port, pid, dataDir } = server;
  await server.kill();
  assert.equal(server.running, false);
  await assert.rejects(fetch(server.httpUrl));
  await server.restart();
  assert.ok(server.running);
  assert.equal(server.port, port);
  assert.notEqual(server.pid, pid);
  assert.equal(server.dataDir, dataDir);
  assert.equal(await (await fetch(server.httpUrl)).text(), 'ok');
});

test('launcher mechanics (fake server) - stop is graceful and restart after stop works', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  const server = await startServer({ entry: fake.entry });
  t.after(() => server.cleanup());
  const port = server.port;
  await server.restart(); // running: stops it first
  assert.equal(server.port, port);
  await server.stop();
  assert.equal(server.running, false);
});

test('launcher mechanics (fake server) - a caller data dir is kept and a stale runtime.json ignored', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  const dataDir = await makeTempDir();
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  await writeFile(
    join(dataDir, 'runtime.json'),
    JSON.stringify({ pid: 1, port: 1, wsUrl: 'ws://stale', httpUrl: '', nodeId: '', devApp: {} }),
  );
  const server = await startServer({ entry: fake.entry, dataDir });
  assert.notEqual(server.wsUrl, 'ws://stale');
  await server.cleanup();
  assert.ok(existsSync(dataDir));
});

test('launcher mechanics (fake server) - a crash before ready fails with the output tail', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  await assert.rejects(startServer({ entry: fake.entry, env: { FAKE_MODE: 'crash' } }), (err: Error) => {
    assert.ok(err instanceof LauncherError);
    assert.match(err.message, /exited before it was ready \(code 3\)/);
    assert.match(err.message, /boom: cannot start/);
    return true;
  });
});

test('launcher mechanics (fake server) - a server that never gets ready times out with its output', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  await assert.rejects(startServer({ entry: fake.entry, env: { FAKE_MODE: 'hang' }, timeoutMs: 500 }), (err: Error) => {
    assert.ok(err instanceof LauncherError);
    assert.match(err.message, /not ready after 500 ms/);
    assert.match(err.message, /stuck before listening/);
    return true;
  });
});

test('launcher mechanics (fake server) - stop escalates to SIGKILL and throws when SIGTERM is ignored', async (t) => {
  const fake = await fakeEntry();
  t.after(fake.dispose);
  const server = await startServer({ entry: fake.entry, env: { FAKE_MODE: 'ignore-term' } });
  t.after(() => server.cleanup());
  await assert.rejects(server.stop(300), /did not exit within 300 ms/);
  assert.equal(server.running, false);
});
