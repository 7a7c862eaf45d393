import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, frame } from './codec.ts';
import { arbitraryFrame, arbitraryMutations, mutate } from './arbitrary.ts';
import { toBinary } from '@bufbuild/protobuf';
import { FrameSchema } from './gen/tidings/v1/frame_pb.ts';

const CODES = new Set(['protocol.malformed_frame', 'protocol.frame_too_large', 'protocol.unsupported_version']);

test('codec property - decode(encode(x)) = x for every frame', () => {
  fc.assert(
    fc.property(arbitraryFrame, (init) => {
      const f = frame(init);
      const r = decodeFrame(encodeFrame(f), 1 << 20);
      assert.ok(r.ok, r.ok ? '' : r.code);
      assert.deepEqual(toBinary(FrameSchema, r.frame), toBinary(FrameSchema, f));
      assert.equal(r.frame.body.case, f.body.case);
    }),
    { numRuns: 2000 },
  );
});

test('codec property - mutated frames decode to a frame or a typed protocol error, never a throw', () => {
  fc.assert(
    fc.property(arbitraryFrame, arbitraryMutations, (init, mutations) => {
      const damaged = mutate(encodeFrame(init), mutations);
      const r = decodeFrame(damaged, 1 << 20);
      if (!r.ok) assert.ok(CODES.has(r.code), r.code);
    }),
    { numRuns: 5000 },
  );
});

test('codec property - arbitrary bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const r = decodeFrame(bytes, 256);
      if (!r.ok) assert.ok(CODES.has(r.code), r.code);
      if (bytes.length > 256) assert.equal(r.ok ? '' : r.code, 'protocol.frame_too_large');
    }),
    { numRuns: 5000 },
  );
});
