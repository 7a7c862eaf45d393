import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pollUntil } from './child.ts';

/** Node flags that load {@link ./gc-probe.ts} into a server process. */
export const GC_PROBE_FLAGS: readonly string[] = ['--expose-gc', '--import', fileURLToPath(new URL('./gc-probe.ts', import.meta.url))];

/** What the probe reports, in bytes. */
export interface GcMemory {
  readonly gc: boolean;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Asks the probe in process `pid` for a full GC and returns its memory right after. */
export async function gcAndMeasure(pid: number, timeoutMs = 15_000): Promise<GcMemory> {
  const file = `/tmp/bench-gc-probe-${pid}.json`;
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const m = await pollUntil(() => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GcMemory) : undefined), timeoutMs, 'gc probe answer', 20);
  rmSync(file, { force: true });
  if (!m.gc) throw new Error(`process ${pid} runs without --expose-gc`);
  return m;
}
