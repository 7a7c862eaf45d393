import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '../../..');
const main = join(root, 'packages/cli/src/main.ts');
const run = promisify(execFile);

async function until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function collect(child: ChildProcess): { out: string } {
  const acc = { out: '' };
  child.stdout?.on('data', (d: Buffer) => (acc.out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (acc.out += d.toString()));
  return acc;
}

test('cli - start, app create, token, two chats talking, and the README example', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-cli-'));
  const server = spawn(process.execPath, [main, 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { cwd: root });
  const serverOut = collect(server);
  const chats: ChildProcess[] = [];
  try {
    await until(() => existsSync(join(dataDir, 'runtime.json')), 15_000, 'runtime.json');
    await until(() => serverOut.out.includes('development app key'), 5000, 'credentials banner');

    const created = JSON.parse((await run(process.execPath, [main, 'app', 'create', 'shop', '--data-dir', dataDir, '--json'], { cwd: root })).stdout);
    assert.match(created.appKey, /^app_/);
    assert.ok(created.appSecret.length >= 40);
    const listed = JSON.parse((await run(process.execPath, [main, 'app', 'list', '--data-dir', dataDir, '--json'], { cwd: root })).stdout);
    assert.deepEqual(listed.map((a: { name: string }) => a.name).sort(), ['dev', 'shop']);
    const token = (await run(process.execPath, [main, 'token', '--user', 'alice', '--app', created.appKey, '--data-dir', dataDir], { cwd: root })).stdout.trim();
    assert.equal(token.split('.').length, 3);
    await assert.rejects(run(process.execPath, [main, 'token', '--user', 'bad user', '--data-dir', dataDir], { cwd: root }), /--user must be/);

    const chat = (user: string, to: string) => {
      const c = spawn(process.execPath, [main, 'chat', '--user', user, '--to', to, '--data-dir', dataDir], { cwd: root });
      chats.push(c);
      return { proc: c, io: collect(c) };
    };
    const alice = chat('alice', 'bob');
    const bob = chat('bob', 'alice');
    await until(() => alice.io.out.includes('type a line') && bob.io.out.includes('type a line'), 15_000, 'chats to connect');
    alice.proc.stdin?.write('hello bob\n');
    await until(() => bob.io.out.includes('[1] alice: hello bob'), 10_000, 'bob to see it');
    bob.proc.stdin?.write('hi alice\n');
    await until(() => alice.io.out.includes('[2] bob: hi alice') && alice.io.out.includes('[1] you: hello bob'), 10_000, 'alice to see both');

    const example = await run(process.execPath, [join(root, 'examples/quickstart.ts')], { cwd: root, env: { ...process.env, TIDINGS_DATA_DIR: dataDir } });
    assert.match(example.stdout, /bob got #1 from alice: hello/);
  } finally {
    for (const c of chats) c.kill('SIGKILL');
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
