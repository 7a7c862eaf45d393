import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame } from './codec.ts';

test('codec - round trip of a send frame', () => {
  const bytes = encodeFrame({
    rid: 7,
    body: { case: 'send', value: { convId: 'p:a:b', clientMsgId: 'c1', senderSeq: 3n, type: 'text', content: new Uint8Array([1, 2, 3]) } },
  });
  const r = decodeFrame(bytes);
  assert.ok(r.ok);
  assert.equal(r.frame.rid, 7);
  assert.equal(r.frame.version, 1);
  assert.equal(r.frame.body.case, 'send');
  if (r.frame.body.case === 'send') {
    assert.equal(r.frame.body.value.senderSeq, 3n);
    assert.deepEqual([...r.frame.body.value.content], [1, 2, 3]);
  }
});

test('codec - oversized frame is a typed error', () => {
  const r = decodeFrame(new Uint8Array(100), 10);
  assert.deepEqual(r.ok ? 'ok' : r.code, 'protocol.frame_too_large');
});

test('codec - garbage and truncation are typed errors, never throws', () => {
  const good = encodeFrame({ rid: 1, body: { case: 'ping', value: { clientTime: 5n } } });
  for (let cut = 1; cut < good.length; cut++) {
    const r = decodeFrame(good.subarray(0, cut));
    if (!r.ok) assert.ok(['protocol.malformed_frame', 'protocol.unsupported_version'].includes(r.code));
  }
  const r = decodeFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(r.ok, false);
});

test('codec - unknown version is rejected', () => {
  const bytes = encodeFrame({ version: 99, rid: 1, body: { case: 'ping', value: {} } });
  const r = decodeFrame(bytes);
  assert.equal(r.ok ? 'ok' : r.code, 'protocol.unsupported_version');
});
