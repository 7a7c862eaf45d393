// `npm run bench -- <name> [args]`: runs bench/scenarios/<name>.ts.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);

if (!name || !available.includes(name)) {
  console.error(`${name ? `unknown benchmark "${name}". ` : ''}Usage: npm run bench -- <name> [args]\nAvailable: ${available.join(', ')}`);
  process.exit(name ? 1 : 2);
}
const scenario = (await import(`./scenarios/${name}.ts`)) as { main: (argv: readonly string[]) => Promise<void> };
await scenario.main(args);
