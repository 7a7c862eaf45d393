import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, type Frame, type FrameInit } from '@tidings/protocol';
import { createClient } from './create-client.ts';
import { ManualClock } from './clock.ts';
import { createMemoryStore } from './memory-store.ts';
import type { Message } from './message.ts';
import type { WebSocketLike } from './transport.ts';

/** A socket scripted by the test: it records frames and injects server frames. */
class FakeSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 1;
  sent: Frame[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly url: string;
  readonly protocols: string[];
  constructor(url: string, protocols: string[]) {
    this.url = url;
    this.protocols = protocols;
  }
  send(data: Uint8Array): void {
    const r = decodeFrame(data);
    assert.ok(r.ok);
    this.sent.push(r.frame);
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  push(init: FrameInit): void {
    const b = encodeFrame(init);
    this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) });
  }
  take(kind: string): Frame[] {
    const out = this.sent.filter((f) => f.body.case === kind);
    this.sent = this.sent.filter((f) => f.body.case !== kind);
    return out;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const welcome = (ws: FakeSocket): void =>
  ws.push({ rid: 0, body: { case: 'welcome', value: { userId: 'alice', deviceId: 'd1', pingIntervalMs: 1000 } } });
const wire = (seq: number, convId = 'g:x') => ({ convId, seq: BigInt(seq), msgId: `m${seq}`, senderId: 'bob', senderDevice: 'db', clientMsgId: `b${seq}`, type: 't', ts: 5n });

function setup(token: string | (() => Promise<string>) = 'tok') {
  const clock = new ManualClock(1000);
  const sockets: FakeSocket[] = [];
  const store = createMemoryStore();
  const client = createClient({
    url: 'ws://x/ws', token, deviceId: 'd1', store, clock, secure: false, backoff: { minMs: 100, maxMs: 100, random: () => 0.5 },
    webSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
  });
  const messages: Message[] = [];
  client.on('message', (m) => messages.push(m));
  return { clock, sockets, store, client, messages, ws: () => sockets.at(-1)! };
}

test('client - connects with token subprotocol, sends, surfaces its own message from the ack', async () => {
  const { client, ws, messages, store } = setup();
  const connected = client.connect();
  await tick();
  assert.equal(ws().url, 'ws://x/ws?device=d1');
  assert.deepEqual(ws().protocols, ['tidings.v1', 'tidings.token.tok']);
  welcome(ws());
  await connected;
  assert.equal(client.state, 'connected');
  const [sync] = ws().take('sync');
  ws().push({ rid: sync!.rid, body: { case: 'syncResult', value: { conversations: [], cursor: 3n } } });
  assert.equal((await store.load()).cursor, 3);

  const sending = client.send('g:x', { type: 'text', content: 'hi' });
  await tick();
  const [req] = ws().take('send');
  assert.ok(req?.body.case === 'send');
  assert.equal(req.body.value.senderSeq, 1n);
  assert.equal((await store.load()).outbox.length, 1, 'persisted before written');
  const v = req.body.value;
  ws().push({ rid: req.rid, body: { case: 'sendAck', value: { convId: 'g:x', clientMsgId: v.clientMsgId, senderSeq: 1n, msgId: 'm1', seq: 1n, ts: 9n } } });
  const ack = await sending;
  assert.deepEqual([ack.seq, ack.msgId, ack.ts], [1, 'm1', 9]);
  assert.deepEqual(messages.map((m) => [m.seq, m.senderId, new TextDecoder().decode(m.content)]), [[1, 'alice', 'hi']]);
  assert.equal((await store.load()).outbox.length, 0);
  await client.close();
});

test('client - pushes past a gap are held, the gap pulled, and delivery acks batched', async () => {
  const { client, ws, messages, clock } = setup();
  void client.connect();
  await tick();
  welcome(ws());
  ws().take('sync');
  ws().push({ rid: 0, body: { case: 'push', value: { message: wire(1) } } });
  ws().push({ rid: 0, body: { case: 'push', value: { message: wire(3) } } });
  const [pull] = ws().take('pull');
  assert.ok(pull?.body.case === 'pull');
  assert.deepEqual([pull.body.value.fromSeq, pull.body.value.toSeq], [2n, 2n]);
  ws().push({ rid: pull.rid, body: { case: 'pullResult', value: { convId: 'g:x', messages: [wire(2)], maxSeq: 3n } } });
  ws().push({ rid: 0, body: { case: 'push', value: { message: wire(3) } } });
  assert.deepEqual(messages.map((m) => m.seq), [1, 2, 3]);
  assert.deepEqual(ws().take('deliveryAck'), []);
  clock.advance(100);
  const acks = ws().take('deliveryAck');
  assert.equal(acks.length, 1);
  assert.ok(acks[0]?.body.case === 'deliveryAck' && acks[0].body.value.seq === 3n);
  await client.close();
});

test('client - reconnects after a drop, resends the outbox, syncs and pulls, then persists the cursor', async () => {
  const { client, ws, sockets, messages, clock, store } = setup();
  void client.connect();
  await tick();
  welcome(ws());
  ws().take('sync');
  const sending = client.send('g:x', { type: 't', content: 'a' });
  await tick();
  assert.equal(ws().take('send').length, 1);
  ws().close(1006, '');
  assert.equal(client.state, 'reconnecting');
  clock.advance(50);
  await tick();
  assert.equal(sockets.length, 2);
  welcome(ws());
  const [resent] = ws().take('send');
  assert.ok(resent?.body.case === 'send' && resent.body.value.senderSeq === 1n);
  const [sync] = ws().take('sync');
  ws().push({ rid: sync!.rid, body: { case: 'syncResult', value: { conversations: [{ convId: 'g:x', maxSeq: 2n }], cursor: 8n } } });
  assert.equal((await store.load()).cursor, 0, 'not before the pulls finished');
  const [pull] = ws().take('pull');
  ws().push({ rid: pull!.rid, body: { case: 'pullResult', value: { convId: 'g:x', messages: [wire(1)], maxSeq: 2n } } });
  const v = resent.body.value;
  ws().push({ rid: resent.rid, body: { case: 'sendAck', value: { convId: 'g:x', clientMsgId: v.clientMsgId, senderSeq: 1n, msgId: 'm2', seq: 2n, ts: 1n, duplicate: true } } });
  assert.equal((await sending).duplicate, true);
  assert.deepEqual(messages.map((m) => [m.seq, m.senderId]), [[1, 'bob'], [2, 'alice']]);
  assert.equal((await store.load()).cursor, 8);
  await client.close();
});

test('client - a final send error rejects with its code; a gap renumbers and resends', async () => {
  const { client, ws } = setup();
  void client.connect();
  await tick();
  welcome(ws());
  const bad = client.send('g:x', { type: 't', content: 'x' });
  const good = client.send('g:x', { type: 't', content: 'y' });
  await tick();
  const [r1, r2] = ws().take('send');
  ws().push({ rid: r1!.rid, body: { case: 'error', value: { code: 'send.content_too_large' } } });
  await assert.rejects(bad, { code: 'send.content_too_large' });
  ws().push({ rid: r2!.rid, body: { case: 'error', value: { code: 'send.sender_seq_gap', expectedSenderSeq: 1n } } });
  const [again] = ws().take('send');
  assert.ok(again?.body.case === 'send' && again.body.value.senderSeq === 1n);
  assert.equal(client.outboxSize, 1);
  void good.catch(() => {});
  await client.close();
});

test('client - an expired token is refreshed from the token function; a bad one is fatal', async () => {
  let n = 0;
  const { client, ws, sockets, clock } = setup(() => Promise.resolve(`t${++n}`));
  const errors: string[] = [];
  client.on('error', (e) => errors.push(e.code));
  const connected = client.connect();
  await tick();
  ws().close(4402, 'auth.token_expired');
  clock.advance(0);
  await tick();
  assert.deepEqual(sockets[1]?.protocols, ['tidings.v1', 'tidings.token.t2']);
  ws().close(4401, 'auth.token_invalid');
  await assert.rejects(connected, { code: 'auth.token_invalid' });
  assert.equal(client.state, 'closed');
  assert.deepEqual(errors, ['auth.token_invalid']);
});

test('client - a silent connection is declared dead and replaced', async () => {
  const { client, ws, sockets, clock } = setup();
  void client.connect();
  await tick();
  welcome(ws());
  clock.advance(1000);
  assert.equal(ws().take('ping').length, 1);
  clock.advance(1000);
  assert.equal(client.state, 'reconnecting');
  clock.advance(100);
  await tick();
  assert.equal(sockets.length, 2);
  await client.close();
});

function custom(extra: { url?: string | string[]; syncIntervalMs?: number }) {
  const clock = new ManualClock(1000);
  const sockets: FakeSocket[] = [];
  const client = createClient({
    url: extra.url ?? 'ws://x/ws', token: 'tok', deviceId: 'd1', clock, secure: false, backoff: { minMs: 100, maxMs: 100, random: () => 0.5 },
    ...(extra.syncIntervalMs !== undefined ? { syncIntervalMs: extra.syncIntervalMs } : {}),
    webSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
  });
  const messages: Message[] = [];
  client.on('message', (m) => messages.push(m));
  return { clock, sockets, client, messages, ws: () => sockets.at(-1)! };
}

test('client - anti-entropy: a periodic sync finds a conversation whose last push was lost and pulls it, without reconnecting', async () => {
  const { client, clock, ws, messages, sockets } = custom({ syncIntervalMs: 500 });
  const connected = client.connect();
  await tick();
  welcome(ws());
  await connected;
  const [first] = ws().take('sync');
  ws().push({ rid: first!.rid, body: { case: 'syncResult', value: { conversations: [], cursor: 0n } } });
  // The push of g:x seq 1 is lost on the bus: nothing arrives. The next periodic sync names it.
  clock.advance(500);
  const [again] = ws().take('sync');
  assert.ok(again, 'a sync every syncIntervalMs');
  assert.equal(ws().take('sync').length, 0, 'one sync at a time');
  ws().push({ rid: again.rid, body: { case: 'syncResult', value: { conversations: [{ convId: 'g:x', maxSeq: 1n, version: 1n }], cursor: 1n } } });
  const [pull] = ws().take('pull');
  assert.ok(pull?.body.case === 'pull' && pull.body.value.fromSeq === 1n);
  ws().push({ rid: pull.rid, body: { case: 'pullResult', value: { convId: 'g:x', messages: [wire(1)], maxSeq: 1n } } });
  assert.deepEqual(messages.map((m) => m.seq), [1]);
  assert.equal(sockets.length, 1, 'healed on the same connection');
  await client.close();
});

test('client - several node urls: an attempt that gets no welcome moves on to the next node', async () => {
  const { client, clock, sockets, ws } = custom({ url: ['ws://a/ws', 'ws://b/ws'] });
  const connected = client.connect();
  await tick();
  assert.equal(ws().url, 'ws://a/ws?device=d1');
  ws().close(1006, '');
  clock.advance(100);
  await tick();
  assert.equal(ws().url, 'ws://b/ws?device=d1');
  welcome(ws());
  await connected;
  // A welcomed connection that drops retries the same node first.
  ws().close(1006, '');
  clock.advance(100);
  await tick();
  assert.equal(ws().url, 'ws://b/ws?device=d1');
  assert.equal(sockets.length, 3);
  await client.close();
});

test('client - a send left unanswered on a live link (pings still answered) ends the session after the request timeout; the client reconnects and resends', async () => {
  const clock = new ManualClock(1000);
  const sockets: FakeSocket[] = [];
  const client = createClient({
    url: 'ws://x/ws', token: 'tok', deviceId: 'd1', clock, secure: false, requestTimeoutMs: 4000, backoff: { minMs: 100, maxMs: 100, random: () => 0.5 },
    webSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
  });
  const ws = () => sockets.at(-1)!;
  const connected = client.connect();
  await tick();
  welcome(ws());
  await connected;
  ws().take('sync');
  void client.send('p:alice:bob', { type: 't', content: 'hi' }).catch(() => {});
  await tick();
  const [send] = ws().take('send');
  assert.ok(send, 'the send is written');
  // The link stays alive: every ping is answered, but the send never is.
  for (let t = 0; t < 3; t++) {
    clock.advance(1000);
    for (const p of ws().take('ping')) ws().push({ rid: p.rid, body: { case: 'pong', value: { clientTime: 0n, serverTime: 0n } } });
    assert.equal(client.state, 'connected', `still connected after ${t + 1} s`);
  }
  clock.advance(1000);
  assert.equal(client.state, 'reconnecting', 'ended at the request timeout');
  clock.advance(100);
  await tick();
  assert.equal(sockets.length, 2);
  welcome(ws());
  await tick();
  const [again] = ws().take('send');
  assert.ok(again?.body.case === 'send' && send.body.case === 'send' && again.body.value.clientMsgId === send.body.value.clientMsgId, 'the same message is resent');
  await client.close();
});
