import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame } from '@tidings/protocol';
import { BODY, encodeSend, findField, scanFrame, sendTemplate, type Scan } from './wire.ts';

test('bench wire - hand-encoded send frames decode with the real codec', () => {
  const content = new Uint8Array(300).fill(7);
  for (const seq of [1, 127, 128, 300_000, 2 ** 31 + 5]) {
    const r = decodeFrame(encodeSend(sendTemplate('p:a0:b0'), seq, seq, content));
    assert.ok(r.ok);
    assert.equal(r.frame.rid, seq);
    assert.equal(r.frame.body.case, 'send');
    const v = r.frame.body.value as { convId: string; clientMsgId: string; senderSeq: bigint; type: string; content: Uint8Array };
    assert.deepEqual([v.convId, v.clientMsgId, v.senderSeq, v.type], ['p:a0:b0', `m${seq}`, BigInt(seq), 'text']);
    assert.ok(Buffer.from(v.content).equals(Buffer.from(content)));
  }
});

test('bench wire - the scanner finds rid, ack and push content in real frames', () => {
  const s: Scan = { rid: 0, body: 0, start: 0, end: 0 };
  const ack = Buffer.from(encodeFrame({ rid: 9, body: { case: 'sendAck', value: { convId: 'p:a:b', seq: 3n, senderSeq: 9n } } }));
  assert.ok(scanFrame(ack, s));
  assert.deepEqual([s.rid, s.body], [9, BODY.sendAck]);
  const content = Buffer.from('hello world');
  const push = Buffer.from(
    encodeFrame({ rid: 0, body: { case: 'push', value: { message: { convId: 'p:a:b', seq: 5n, msgId: 'x', content, ts: 123n, flags: 2 } } } }),
  );
  assert.ok(scanFrame(push, s));
  assert.equal(s.body, BODY.push);
  assert.ok(findField(push, s.start, s.end, 1, s) && findField(push, s.start, s.end, 8, s));
  assert.equal(push.toString('utf8', s.start, s.end), 'hello world');
});
