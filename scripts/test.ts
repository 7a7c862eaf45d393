// The one test command (`npm test`): type check, lint, then every test file.
// Exits non-zero when anything fails.
import { spawnSync } from 'node:child_process';

const steps: Array<[string, string[]]> = [
  ['tsc', ['--noEmit', '-p', '.']],
  ['eslint', ['.']],
  [
    process.execPath,
    [
      '--test',
      '--test-concurrency=2',
      '--test-timeout=300000',
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
  ],
];

for (const [cmd, args] of steps) {
  const started = Date.now();
  console.log(`\n> ${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (r.status !== 0) {
    console.error(`\nFAILED: ${cmd} exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
}
