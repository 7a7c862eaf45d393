import assert from 'node:assert/strict';
import type { SendInput } from './port.ts';
import { brief, fieldsOf, norm, plain, send, uid, type WithStore } from './conformance-fixtures.ts';

/**
 * Conformance cases for the send rules (port.ts `SendOutcome`): what
 * `commitSends` stores, deduplicates and rejects, within and across batches.
 */
export function sendCases(withStore: WithStore): void {
  withStore('send - a stored message keeps every field of the input', async (store) => {
    const input = send({ type: 'custom.x', content: new Uint8Array([0, 255, 7]), flags: 5, ts: 1_700_000_123_456 });
    const [outcome] = await store.commitSends([input]);
    const expected = plain({ ...fieldsOf(input), seq: 1 });
    assert.deepEqual(norm(outcome), { status: 'stored', message: expected });
    const read = await store.readRange(input.appKey, input.convId, 1, 1, 10);
    assert.deepEqual(read.map(plain), [expected]);
  });

  withStore('send - a duplicate in a later batch returns the original message', async (store) => {
    const first = send({});
    const [stored] = await store.commitSends([first]);
    const retry = { ...first, msgId: uid('msg'), ts: first.ts + 1000, content: new Uint8Array([9]) };
    const [dup] = await store.commitSends([retry]);
    assert.equal(stored?.status, 'stored');
    assert.deepEqual(norm(dup), { status: 'duplicate', message: norm(stored)?.message });
    assert.equal(await store.maxSeq(first.appKey, first.convId), 1);
  });

  withStore('send - a duplicate inside one batch sees the earlier input', async (store) => {
    const first = send({});
    const out = await store.commitSends([first, { ...first, msgId: uid('msg'), ts: first.ts + 1 }]);
    assert.equal(out[0]?.status, 'stored');
    assert.deepEqual(norm(out[1]), { status: 'duplicate', message: norm(out[0])?.message });
  });

  withStore('send - a known clientMsgId is a duplicate even with the next senderSeq', async (store) => {
    const first = send({});
    await store.commitSends([first]);
    const [out] = await store.commitSends([{ ...first, senderSeq: 2, msgId: uid('msg') }]);
    assert.equal(out?.status, 'duplicate');
    const fresh = send({ ...first, clientMsgId: uid('c'), msgId: uid('msg'), senderSeq: 2 });
    assert.deepEqual((await store.commitSends([fresh])).map(brief), ['stored:2']);
  });

  withStore('send - a gap expects last + 1 and stores nothing, also inside one batch', async (store) => {
    const base = send({});
    const at = (senderSeq: number) => send({ ...base, senderSeq, clientMsgId: uid('c'), msgId: uid('msg') });
    const out = await store.commitSends([at(2), at(1), at(2), at(4), at(3)]);
    assert.deepEqual(out.map(brief), ['gap:1', 'stored:1', 'stored:2', 'gap:3', 'stored:3']);
    assert.equal(await store.maxSeq(base.appKey, base.convId), 3);
  });

  withStore('send - a reused senderSeq with a new clientMsgId is a conflict expecting last + 1', async (store) => {
    const base = send({});
    const at = (senderSeq: number) => send({ ...base, senderSeq, clientMsgId: uid('c'), msgId: uid('msg') });
    const out = await store.commitSends([at(1), at(2), at(2), at(1)]);
    assert.deepEqual(out.map(brief), ['stored:1', 'stored:2', 'conflict:3', 'conflict:3']);
    assert.deepEqual((await store.commitSends([at(1)])).map(brief), ['conflict:3']);
    assert.equal(await store.maxSeq(base.appKey, base.convId), 2);
    assert.equal((await store.readRange(base.appKey, base.convId, 1, 10, 10)).length, 2);
  });

  withStore('send - senderSeq is tracked per sender, device and conversation', async (store) => {
    const base = send({});
    const next = (over: Partial<SendInput>) => send({ ...base, clientMsgId: uid('c'), msgId: uid('msg'), ...over });
    const out = await store.commitSends([
      next({ senderSeq: 1 }),
      next({ senderSeq: 1, senderDevice: 'd2' }),
      next({ senderSeq: 1, convId: 'g:other' }),
      next({ senderSeq: 1, senderId: 'u2' }),
      next({ senderSeq: 2 }),
      next({ senderSeq: 3, senderDevice: 'd2' }),
    ]);
    assert.deepEqual(out.map(brief), ['stored:1', 'stored:2', 'stored:1', 'stored:3', 'stored:4', 'gap:2']);
  });

  withStore('send - dedupe is per sender and conversation', async (store) => {
    const base = send({});
    const out = await store.commitSends([
      base,
      send({ ...base, msgId: uid('msg'), senderId: 'u2' }),
      send({ ...base, msgId: uid('msg'), convId: 'g:other' }),
    ]);
    assert.deepEqual(out.map(brief), ['stored:1', 'stored:2', 'stored:1']);
  });
}
