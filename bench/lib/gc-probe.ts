// Preloaded into a Node server under test (`node --expose-gc --import
// bench/lib/gc-probe.ts ...`). On SIGUSR2 it runs a full GC and writes
// process.memoryUsage() to /tmp/bench-gc-probe-<pid>.json, so a benchmark can
// read memory "after GC" of a process it does not own the code of.
import { writeFileSync, renameSync } from 'node:fs';

const file = `/tmp/bench-gc-probe-${process.pid}.json`;
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  writeFileSync(file + '.tmp', JSON.stringify({ gc: gc !== undefined, ...m }));
  renameSync(file + '.tmp', file);
});
