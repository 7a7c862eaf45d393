import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, privateConvId, type Frame, type FrameInit } from '@tidings/protocol';
import { ClientError, createClient, type TidingsError } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import { rawConnect, type RawClient } from './helpers/raw-client.ts';
import { startMitm } from './helpers/mitm.ts';
import { testNode } from './helpers/node.ts';

const ping: FrameInit = { rid: 7, body: { case: 'ping', value: { clientTime: 1n } } };
const conv = privateConvId('alice', 'bob');
const send = (rid: number, n: number, senderSeq: number): FrameInit => ({
  rid,
  body: { case: 'send', value: { convId: conv, clientMsgId: `m${n}`, senderSeq: BigInt(senderSeq), type: 'text', content: new TextEncoder().encode(`#${n}`) } },
});

test('secure session - a bad tag, a replay, a skipped or reordered counter and a record of another session each close with their code; nothing acked is lost', async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  const token = () => issueUserToken(app, 'alice', 60);
  let acked = 0;
  const senderSeqs = new Map<string, number>();
  try {
    const connect = async (device = 'a1'): Promise<RawClient> => {
      const c = await rawConnect(node.info.wsUrl, await token(), device);
      await c.next((f) => f.body.case === 'welcome');
      // Each connection first commits one message: the attack that follows must not lose it.
      acked++;
      const senderSeq = (senderSeqs.get(device) ?? 0) + 1;
      senderSeqs.set(device, senderSeq);
      c.send(send(100 + acked, acked, senderSeq));
      const ack = await c.next((f) => f.rid === 100 + acked);
      assert.equal(ack.body.case, 'sendAck');
      return c;
    };
    const attacks: Array<[string, number, (c: RawClient) => Promise<void> | void]> = [
      ['security.bad_tag', 4432, (c) => {
        const rec = c.channel!.seal([encodeFrame(ping)]);
        rec[rec.length - 1]! ^= 1;
        c.sendBytes(rec);
      }],
      ['security.replay', 4433, async (c) => {
        const rec = c.channel!.seal([encodeFrame(ping)]);
        c.sendBytes(rec);
        await c.next((f) => f.body.case === 'pong');
        c.sendBytes(rec);
      }],
      ['security.out_of_order', 4434, (c) => {
        c.channel!.seal([encodeFrame(ping)]); // sealed, never sent: the next one skips a counter
        c.sendBytes(c.channel!.seal([encodeFrame(ping)]));
      }],
      ['security.out_of_order', 4434, (c) => {
        const first = c.channel!.seal([encodeFrame(ping)]);
        const second = c.channel!.seal([encodeFrame(ping)]);
        c.sendBytes(second);
        c.sendBytes(first);
      }],
      ['security.wrong_session', 4435, async (c) => {
        const other = await connect('a2');
        c.sendBytes(other.channel!.seal([encodeFrame(ping)]));
        other.close();
      }],
    ];
    for (const [code, close, attack] of attacks) {
      const c = await connect();
      await attack(c);
      const closed = await c.closed;
      assert.deepEqual(closed, { code: close, reason: code }, code);
    }
    // Everything acked is stored, in order, and a new session reads it all back.
    assert.equal(await node.store.maxSeq(app.appKey, conv), acked);
    const reader = await rawConnect(node.info.wsUrl, await issueUserToken(app, 'bob', 60), 'b1');
    await reader.next((f) => f.body.case === 'welcome');
    reader.send({ rid: 9, body: { case: 'pull', value: { convId: conv, fromSeq: 1n, limit: 100 } } });
    const page = (await reader.next((f) => f.rid === 9)) as Frame;
    assert.ok(page.body.case === 'pullResult');
    assert.deepEqual(page.body.value.messages.map((m) => m.clientMsgId), Array.from({ length: acked }, (_, i) => `m${i + 1}`));
    reader.close();
  } finally {
    await node.dispose();
  }
});

test('secure session - required refuses plaintext with security.required; optional accepts both; the token never has to be in the upgrade', async () => {
  const strict = await testNode();
  const lax = await testNode({ secureSession: 'optional' });
  try {
    const plain = await rawConnect(strict.info.wsUrl, await issueUserToken(strict.info.devApp!, 'alice', 60), 'p', { secure: false });
    assert.deepEqual(await plain.closed, { code: 4430, reason: 'security.required' });
    for (const secure of [true, false]) {
      const c = await rawConnect(lax.info.wsUrl, await issueUserToken(lax.info.devApp!, 'alice', 60), `d${secure}`, { secure });
      const w = await c.next((f) => f.body.case === 'welcome');
      assert.equal(w.body.case === 'welcome' && w.body.value.userId, 'alice');
      assert.equal(c.channel !== undefined, secure);
      c.close();
    }
    // A token presented at the upgrade is still checked there (early refusal, no handshake).
    const early = await rawConnect(strict.info.wsUrl, 'not-a-jwt', 'e', { tokenAtUpgrade: true });
    assert.deepEqual(await early.closed, { code: 4401, reason: 'auth.token_invalid' });
  } finally {
    await strict.dispose();
    await lax.dispose();
  }
});

test('secure session - the SDK pins the server key: the right key (or a list holding it) connects, a wrong one fails with security.server_key_mismatch', async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  try {
    const good = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), serverKey: node.info.serverKey });
    await good.connect();
    const ack = await good.send(conv, { type: 'text', content: 'pinned' });
    assert.equal(ack.seq, 1);
    await good.close();
    const wrongKey = Buffer.alloc(32, 7).toString('base64');
    // A list pins every key in it (a cluster's nodes, or a key being rotated): the node's own key among others connects.
    const listed = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), serverKey: [wrongKey, node.info.serverKey] });
    await listed.connect();
    assert.equal((await listed.send(conv, { type: 'text', content: 'listed' })).seq, 2);
    await listed.close();
    const bad = createClient({ url: node.info.wsUrl, token: () => issueUserToken(app, 'alice', 60), serverKey: wrongKey });
    await assert.rejects(bad.connect(), (e: TidingsError) => e.code === 'security.server_key_mismatch');
    assert.equal(bad.state, 'closed');
    assert.throws(() => createClient({ url: node.info.wsUrl, token: 't', serverKey: 'short' }), TypeError);
  } finally {
    await node.dispose();
  }
});

test('secure session - a man in the middle presenting its own key is refused by a pinned client (security.server_key_mismatch, no token leaves it); a client without a key is refused at createClient; an explicitly unpinned one is read by the relay', async () => {
  const node = await testNode();
  const app = node.info.devApp!;
  const mitm = await startMitm(node.info.wsUrl);
  try {
    // The relay works: a client that opted out of pinning connects through it, and the relay reads the token and the content.
    const dupe = createClient({ url: mitm.url, token: () => issueUserToken(app, 'alice', 60), deviceId: 'dupe', insecureUnpinnedServerKey: true });
    await dupe.connect();
    assert.equal((await dupe.send(conv, { type: 'text', content: 'read by the relay' })).seq, 1);
    await dupe.close();
    assert.equal(mitm.tokens().length, 1);
    assert.ok(mitm.seen.some((f) => f.body.case === 'send' && new TextDecoder().decode(f.body.value.content) === 'read by the relay'));
    assert.equal(mitm.upstreamConnections, 1);

    // The same relay against a client pinning the node's key: refused at the handshake, before the token is sent.
    const pinned = createClient({ url: mitm.url, token: () => issueUserToken(app, 'alice', 60), deviceId: 'pinned', serverKey: node.info.serverKey });
    const errors: string[] = [];
    pinned.on('error', (e) => errors.push(e.code));
    await assert.rejects(pinned.connect(), (e: TidingsError) => e.code === 'security.server_key_mismatch');
    assert.equal(pinned.state, 'closed', 'a key mismatch is fatal: the client does not retry into the attacker');
    assert.deepEqual(errors, ['security.server_key_mismatch']);
    assert.equal(mitm.tokens().length, 1, 'the pinned client never sent its token to the relay');
    assert.equal(mitm.upstreamConnections, 1);
    await assert.rejects(pinned.send(conv, { type: 'text', content: 'never' }), (e: ClientError) => e.code === 'client.closed');

    // No key and no opt-out: refused before anything touches the network.
    assert.throws(
      () => createClient({ url: mitm.url, token: () => issueUserToken(app, 'alice', 60) }),
      (e: unknown) => e instanceof ClientError && e.code === 'client.server_key_required' && /insecureUnpinnedServerKey/.test(e.message),
    );
    assert.throws(() => createClient({ url: mitm.url, token: 't', serverKey: [] }), (e: ClientError) => e.code === 'client.server_key_required');
    // Plaintext (secure: false, for servers with secureSession optional|off) needs no key.
    assert.doesNotThrow(() => createClient({ url: mitm.url, token: 't', secure: false }));
    // Nothing the pinned client wrote reached the node: only the unpinned client's message is stored.
    assert.equal(await node.store.maxSeq(app.appKey, conv), 1);
  } finally {
    await mitm.close();
    await node.dispose();
  }
});

test('secure session - a socket that never finishes the handshake is closed at the deadline', async () => {
  const node = await testNode({ handshakeTimeoutMs: 300 });
  try {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`${node.info.wsUrl}?device=x`, ['tidings.v1.secure']);
    ws.on('error', () => {});
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, r) => resolve({ code, reason: r.toString() })));
    assert.deepEqual(closed, { code: 4431, reason: 'security.handshake_failed' });
  } finally {
    await node.dispose();
  }
});
