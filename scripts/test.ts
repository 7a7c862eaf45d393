// The one test command (`npm test`): type check, lint, then every test file.
// Exits non-zero when anything fails.
import { spawnSync } from 'node:child_process';

// No step may hang the suite: each gets a hard limit (a test file that never
// exits is a failure, not a wait), and the tests run with --test-force-exit.
const LIMIT_MS: Record<string, number> = { tsc: 5 * 60_000, eslint: 5 * 60_000 };
const TEST_LIMIT_MS = 14 * 60_000;

const steps: Array<[string, string[]]> = [
  ['tsc', ['--noEmit', '-p', '.']],
  ['eslint', ['.']],
  [
    process.execPath,
    [
      '--test',
      '--test-concurrency=2',
      '--test-timeout=300000',
      '--test-force-exit',
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
  ],
];

for (const [cmd, args] of steps) {
  const started = Date.now();
  console.log(`\n> ${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', timeout: LIMIT_MS[cmd] ?? TEST_LIMIT_MS, killSignal: 'SIGKILL' });
  if (r.error) console.error(`\n${cmd}: ${r.error.message}`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (r.status !== 0) {
    console.error(`\nFAILED: ${cmd} exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
}
