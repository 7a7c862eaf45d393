import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WebSocket } from 'ws';
import { createClient, privateConvId, type WebSocketLike } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { testNode } from './helpers/node.ts';

const cli = resolve(import.meta.dirname, '../../cli/src/main.ts');

test('tls - a certificate from `tidings cert dev` serves https and wss; a client trusting it talks, one not trusting it cannot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-tls-'));
  const out = execFileSync(process.execPath, [cli, 'cert', 'dev', '--out', dir], { encoding: 'utf8' });
  assert.match(out, /development certificate written/);
  const ca = readFileSync(join(dir, 'cert.pem'));
  const node = await testNode({ tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem') });
  try {
    assert.match(node.info.wsUrl, /^wss:\/\//);
    const health = await new Promise<string>((ok, fail) =>
      https.get(`${node.info.httpUrl}/healthz`, { ca }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => ok(body));
      }).on('error', fail),
    );
    assert.deepEqual(JSON.parse(health), { ok: true });
    await assert.rejects(
      new Promise((ok, fail) => https.get(`${node.info.httpUrl}/healthz`, ok).on('error', fail)),
      /self-signed|certificate/,
    );
    const app = node.info.devApp!;
    const trusting = (url: string, protocols: string[]) => new WebSocket(url, protocols, { ca }) as unknown as WebSocketLike;
    const mk = (user: string) =>
      createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, user, 60), serverKey: node.info.serverKey, webSocket: trusting });
    const alice = mk('alice');
    const bob = mk('bob');
    const got: string[] = [];
    bob.on('message', (m) => got.push(new TextDecoder().decode(m.content)));
    await Promise.all([alice.connect(), bob.connect()]);
    await alice.send(privateConvId('alice', 'bob'), { type: 'text', content: 'over tls' });
    const end = Date.now() + 5000;
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, ['over tls']);
    await Promise.all([alice.close(), bob.close()]);
  } finally {
    await node.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
