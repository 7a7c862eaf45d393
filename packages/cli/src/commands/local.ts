import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromProcess, createSqliteStore, type AppRecord, type RuntimeInfo, type Store } from '@tidings/server';
import { CliError } from '../errors.ts';

/**
 * Commands that administer an embedded node read its data directory directly
 * (the signed server API replaces this for remote nodes).
 */
export function dataDirOf(flag: string | undefined): string {
  return flag ?? configFromProcess().dataDir;
}

/** Opens the embedded database of a data directory, refusing to create one by accident. */
export async function openLocalStore(dataDir: string): Promise<Store> {
  const path = join(dataDir, 'tidings.db');
  if (!existsSync(path)) throw new CliError(`no Tidings data in ${dataDir}; run \`tidings start\` first or pass --data-dir`);
  return createSqliteStore({ path });
}

/** The runtime.json of a running node, if any. */
export function readRuntime(dataDir: string): RuntimeInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

/** The app named by key, or the development app when no key is given. */
export async function pickApp(store: Store, appKey: string | undefined): Promise<AppRecord> {
  const apps = await store.listApps();
  const app = appKey ? apps.find((a) => a.appKey === appKey) : apps.find((a) => a.name === 'dev');
  if (!app) throw new CliError(appKey ? `unknown app ${appKey}` : 'no development app; pass --app');
  return app;
}
