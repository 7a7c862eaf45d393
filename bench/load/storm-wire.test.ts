import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame } from '@tidings/protocol';
import { scanPullResult, type PullScan } from './storm-wire.ts';
import { BODY, scanFrame, type Scan } from './wire.ts';
import { stormContent } from './storm-content.ts';

test('storm wire - scans a PullResult encoded by the real codec', () => {
  const messages = [1, 2, 300].map((seq) => ({
    convId: 'p:a:b', seq: BigInt(seq), msgId: `m${seq}`, senderId: 'a', senderDevice: 'd1', clientMsgId: `c${seq}`,
    type: 'text', content: stormContent(7, 1, seq, 64), ts: 1700000000000n, flags: 0,
  }));
  const bytes = Buffer.from(encodeFrame({ rid: 9, body: { case: 'pullResult', value: { convId: 'p:a:b', messages, hasMore: true, maxSeq: 300n } } }));
  const s: Scan = { rid: 0, body: 0, start: 0, end: 0 };
  assert.ok(scanFrame(bytes, s));
  assert.equal(s.body, 17);
  assert.equal(s.rid, 9);
  assert.notEqual(s.body, BODY.push);
  const out: PullScan = { convId: '', hasMore: false, maxSeq: 0, messages: [] };
  scanPullResult(bytes, s.start, s.end, out);
  assert.equal(out.convId, 'p:a:b');
  assert.equal(out.hasMore, true);
  assert.equal(out.maxSeq, 300);
  assert.deepEqual(out.messages.map((m) => m.seq), [1, 2, 300]);
  const m = out.messages[2]!;
  assert.equal(m.contentEnd - m.contentStart, 64);
  assert.deepEqual([bytes.readUInt32LE(m.contentStart), bytes.readUInt32LE(m.contentStart + 4), bytes.readUInt32LE(m.contentStart + 8)], [7, 1, 300]);
});
