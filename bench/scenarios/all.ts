// `npm run bench -- all`: every scenario in turn with its published settings, then `report`.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs every other scenario (alphabetically), then the report. */
export async function main(argv: readonly string[]): Promise<void> {
  const dir = fileURLToPath(new URL('./', import.meta.url));
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .filter((n) => n !== 'all' && n !== 'report')
    .sort();
  const failed: string[] = [];
  for (const name of names) {
    console.log(`\n=== ${name} ===`);
    try {
      const s = (await import(`./${name}.ts`)) as { main: (argv: readonly string[]) => Promise<void> };
      await s.main(argv.includes('--no-write') ? ['--no-write'] : []);
    } catch (err) {
      failed.push(name);
      console.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  console.log('\n=== report ===');
  const r = (await import('./report.ts')) as { main: () => Promise<void> };
  await r.main();
  if (failed.length) throw new Error(`scenarios failed: ${failed.join(', ')}`);
}
