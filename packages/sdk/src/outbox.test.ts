import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from './outbox.ts';
import { createMemoryStore } from './memory-store.ts';

const ids = (): (() => string) => {
  let n = 0;
  return () => `id${++n}`;
};
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function filled(n: number, convId = 'g:x', window?: number) {
  const store = createMemoryStore();
  const ob = new Outbox(store, { newId: ids(), now: () => 0, window });
  for (let i = 0; i < n; i++) await ob.add(convId, 'text', bytes(`m${i}`)).durable;
  return { store, ob };
}

test('outbox - hands out sender seqs per conversation and sends in order', async () => {
  const store = createMemoryStore();
  const ob = new Outbox(store, { newId: ids(), now: () => 0 });
  const a = ob.add('a', 't', bytes('1'));
  const b = ob.add('b', 't', bytes('2'));
  const c = ob.add('a', 't', bytes('3'));
  assert.deepEqual([a.entry.senderSeq, b.entry.senderSeq, c.entry.senderSeq], [1, 1, 2]);
  assert.deepEqual(ob.takeSendable(), [], 'nothing is written before it is durable');
  await Promise.all([a.durable, b.durable, c.durable]);
  assert.deepEqual(ob.takeSendable().map((e) => e.clientMsgId), ['id1', 'id2', 'id3']);
  assert.deepEqual(ob.takeSendable(), [], 'in flight entries are not taken twice');
  assert.equal(store.snapshot().outbox.length, 3);
  assert.equal(store.snapshot().nextSenderSeqs.get('a'), 3);
});

test('outbox - the window bounds what is in flight', async () => {
  const { ob } = await filled(5, 'g:x', 2);
  assert.equal(ob.takeSendable().length, 2);
  ob.handleAck('id1');
  assert.deepEqual(ob.takeSendable().map((e) => e.clientMsgId), ['id3']);
});

test('outbox - ack removes the entry from memory and store', async () => {
  const { store, ob } = await filled(2);
  ob.takeSendable();
  assert.equal(ob.handleAck('id1')?.senderSeq, 1);
  assert.equal(ob.handleAck('id1'), undefined, 'a repeated ack is ignored');
  assert.deepEqual(ob.entries().map((e) => e.clientMsgId), ['id2']);
  assert.deepEqual(store.snapshot().outbox.map((e) => e.clientMsgId), ['id2']);
});

test('outbox - reconnect resends everything unacked in order', async () => {
  const { ob } = await filled(3);
  ob.takeSendable();
  ob.handleAck('id1');
  ob.resetInFlight();
  assert.deepEqual(ob.takeSendable().map((e) => [e.clientMsgId, e.senderSeq]), [['id2', 2], ['id3', 3]]);
});

test('outbox - a gap renumbers the conversation from the expected seq', async () => {
  const { store, ob } = await filled(3);
  await ob.add('other', 't', bytes('o')).durable;
  ob.takeSendable();
  // id1 failed for good (consuming nothing); id2 and id3 then hit a gap.
  assert.equal(ob.handleError('id1', 1, 'send.content_too_large', 0, false).kind, 'failed');
  assert.deepEqual(ob.handleError('id2', 2, 'send.sender_seq_gap', 1, false), { kind: 'renumbered', convId: 'g:x', from: 1 });
  assert.deepEqual(ob.handleError('id3', 3, 'send.sender_seq_gap', 1, false), { kind: 'stale' }, 'answer to the old transmission');
  assert.deepEqual(ob.takeSendable().map((e) => [e.clientMsgId, e.senderSeq]), [['id2', 1], ['id3', 2]]);
  assert.equal(ob.nextSenderSeq('g:x'), 3);
  assert.equal(ob.nextSenderSeq('other'), 2, 'other conversations keep their numbers');
  await Promise.resolve();
  assert.deepEqual(store.snapshot().outbox.map((e) => [e.clientMsgId, e.senderSeq]), [['id2', 1], ['id3', 2], ['id4', 1]]);
  assert.equal(store.snapshot().nextSenderSeqs.get('g:x'), 3);
});

test('outbox - a conflict (lost local state) renumbers unacked entries upward', async () => {
  const { ob } = await filled(2);
  ob.takeSendable();
  assert.equal(ob.handleError('id1', 1, 'send.sender_seq_conflict', 41, false).kind, 'renumbered');
  assert.deepEqual(ob.takeSendable().map((e) => e.senderSeq), [41, 42]);
  assert.equal(ob.add('g:x', 't', bytes('n')).entry.senderSeq, 43);
});

test('outbox - a final error drops the entry; a retryable one holds the conversation', async () => {
  let now = 0;
  const ob = new Outbox(createMemoryStore(), { newId: ids(), now: () => now, retryDelayMs: 500 });
  for (const c of ['a', 'a', 'b']) await ob.add(c, 't', bytes('x')).durable;
  ob.takeSendable();
  assert.deepEqual(ob.handleError('id1', 1, 'storage.unavailable', 0, true), { kind: 'retry', entry: ob.entries()[0], at: 500 });
  ob.handleError('id2', 2, 'send.sender_seq_gap', 1, false);
  assert.deepEqual(ob.takeSendable(), [], 'held until the retry time');
  now = 500;
  assert.deepEqual(ob.takeSendable().map((e) => [e.clientMsgId, e.senderSeq]), [['id1', 1], ['id2', 2]]);
  const failed = ob.handleError('id3', 1, 'send.not_member', 0, false);
  assert.equal(failed.kind, 'failed');
  assert.equal(ob.size, 2);
});

test('outbox - persistence round trip restores entries and counters', async () => {
  const { store, ob } = await filled(3);
  ob.takeSendable();
  ob.handleAck('id1');
  const snap = await store.load();
  const again = new Outbox(store, { newId: () => 'new', now: () => 0 });
  again.load(snap.outbox, snap.nextSenderSeqs);
  assert.deepEqual(again.takeSendable().map((e) => [e.clientMsgId, e.senderSeq, new TextDecoder().decode(e.content)]), [
    ['id2', 2, 'm1'],
    ['id3', 3, 'm2'],
  ]);
  assert.equal(again.add('g:x', 't', bytes('z')).entry.senderSeq, 4);
});

test('outbox - nextRetryAt names the earliest held entry, so a later hold is never stranded', async () => {
  const store = createMemoryStore();
  let now = 0;
  const ob = new Outbox(store, { newId: ids(), now: () => now, retryDelayMs: 100 });
  await ob.add('a', 't', bytes('1')).durable;
  await ob.add('b', 't', bytes('2')).durable;
  ob.takeSendable();
  assert.equal(ob.nextRetryAt(), undefined);
  ob.handleError('id1', 1, 'storage.unavailable', 0, true);
  now = 50;
  ob.handleError('id2', 1, 'storage.unavailable', 0, true);
  assert.equal(ob.nextRetryAt(), 100);
  now = 100;
  assert.deepEqual(ob.takeSendable().map((e) => e.clientMsgId), ['id1']);
  assert.equal(ob.nextRetryAt(), 150, 'the second hold still needs its own timer');
});
