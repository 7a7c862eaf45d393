import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, startNode, type Config, type TidingsNode } from '@tidings/server';

/** An in-process node on port 0 with a fresh data directory. */
export async function testNode(overrides: Partial<Record<keyof Config, string | number>> = {}): Promise<
  TidingsNode & { dispose(): Promise<void> }
> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-test-'));
  const node = await startNode(loadConfig({ overrides: { port: 0, dataDir, logLevel: 'silent', ...overrides } }), createLogger('silent'));
  return Object.assign(node, {
    async dispose() {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
