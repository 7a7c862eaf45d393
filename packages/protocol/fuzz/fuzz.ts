// Long fuzz run of the frame decoder (`npm run fuzz`, optionally `-- <frames>`):
// mutates valid frames (bit flips, truncation, lying lengths, varint overflow,
// unknown fields and versions) and checks that decoding only ever returns a
// frame or a typed protocol error, with bounded memory.
import fc from 'fast-check';
import { decodeFrame, encodeFrame } from '../src/codec.ts';
import { arbitraryFrame, arbitraryMutations, mutate } from '../src/arbitrary.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CODES = new Set(['protocol.malformed_frame', 'protocol.frame_too_large', 'protocol.unsupported_version']);
const counts = { ok: 0, malformed: 0, tooLarge: 0, version: 0 };
const started = Date.now();
let peakRss = 0;
const baseSamples = fc.sample(arbitraryFrame, { numRuns: 2000, seed }).map((f) => encodeFrame(f));
const mutationSamples = () => fc.sample(arbitraryMutations, { numRuns: 10_000, seed: seed + done });
let done = 0;
while (done < total) {
  const muts = mutationSamples();
  for (let i = 0; i < muts.length && done < total; i++, done++) {
    const base = baseSamples[done % baseSamples.length]!;
    const input = mutate(base, muts[i]!);
    let r;
    try {
      r = decodeFrame(input, 65_536);
    } catch (err) {
      console.error(`CRASH at frame ${done} (seed ${seed}): ${String(err)}\ninput: ${Buffer.from(input).toString('hex')}`);
      process.exit(1);
    }
    if (r.ok) counts.ok++;
    else if (!CODES.has(r.code)) {
      console.error(`untyped error ${r.code} at frame ${done} (seed ${seed})`);
      process.exit(1);
    } else if (r.code === 'protocol.malformed_frame') counts.malformed++;
    else if (r.code === 'protocol.frame_too_large') counts.tooLarge++;
    else counts.version++;
  }
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  process.stderr.write(`\r${done.toLocaleString()} / ${total.toLocaleString()} frames, rss ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
}
const secs = (Date.now() - started) / 1000;
console.log(`\nfuzz: ${done} mutated frames in ${secs.toFixed(1)} s (seed ${seed}), 0 crashes`);
console.log(`  decoded ${counts.ok}, malformed ${counts.malformed}, too large ${counts.tooLarge}, bad version ${counts.version}`);
console.log(`  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
if (peakRss > 512 * 2 ** 20) {
  console.error('memory not bounded: peak RSS over 512 MiB');
  process.exit(1);
}
