import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as wsModule from 'ws';
import { SecureChannel } from './channel.ts';

/** ws's own frame parser (exported at runtime, untyped): what a client library makes of the bytes. */
function parseWs(bytes: Buffer): Promise<Buffer> {
  const Receiver = (wsModule as unknown as { Receiver: new (o: object) => NodeJS.WritableStream & NodeJS.EventEmitter }).Receiver;
  const r = new Receiver({ isServer: false, binaryType: 'nodebuffer' });
  return new Promise((resolve, reject) => {
    r.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? resolve(data) : reject(new Error('text'))));
    r.on('error', reject);
    r.write(bytes);
  });
}

test('secure channel - a record sealed inside its WebSocket frame is the record seal() makes, and opens on the other side', async () => {
  const c2s = { key: randomBytes(32), keyId: randomBytes(4) };
  const s2c = { key: randomBytes(32), keyId: randomBytes(4) };
  // Two senders with the same keys and counters: one seals plain records, the other whole WebSocket frames.
  const plain = new SecureChannel(s2c, c2s);
  const framed = new SecureChannel(s2c, c2s);
  const client = new SecureChannel(c2s, s2c);
  for (const sizes of [[0], [5, 7], [90], [200], [1000, 3], [70_000], [40_000, 40_000]]) {
    const frames = sizes.map((n) => randomBytes(n));
    const record = plain.seal(frames);
    const onWire = framed.sealWsFrame(frames);
    const payload = await parseWs(onWire);
    assert.deepEqual(payload, record, `sizes ${sizes.join(',')}`);
    const opened = client.open(payload);
    assert.ok(opened.ok);
    assert.deepEqual(opened.frames.map((f) => Buffer.from(f)), frames);
  }
  // The counter moved in step: a replayed frame is refused.
  const again = client.open(await parseWs(framed.sealWsFrame([randomBytes(3)])));
  assert.ok(again.ok);
  const once = framed.seal([randomBytes(1)]);
  assert.ok(client.open(once).ok);
  assert.equal(client.open(once).ok, false);
});
