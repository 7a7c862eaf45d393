import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wsModule from 'ws';
import { wsBinaryFrame } from './ws-frame.ts';

test('ws frame - frames of every length class parse back with ws and are built once per payload', async () => {
  for (const n of [0, 5, 125, 126, 1000, 65_535, 65_536, 200_000]) {
    const payload = new Uint8Array(n).map((_, i) => i % 251);
    const frame = wsBinaryFrame(payload);
    assert.equal(wsBinaryFrame(payload), frame, 'cached');
    const got = await new Promise<Buffer>((resolve, reject) => {
      // ws's own frame parser (exported at runtime, untyped).
      const Receiver = (wsModule as unknown as { Receiver: new (o: object) => NodeJS.WritableStream & NodeJS.EventEmitter }).Receiver;
      const r = new Receiver({ isServer: false, binaryType: 'nodebuffer' });
      r.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? resolve(data) : reject(new Error('text'))));
      r.on('error', reject);
      r.write(frame);
    });
    assert.deepEqual(new Uint8Array(got), payload);
  }
});
