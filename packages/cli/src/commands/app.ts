import { parseArgs } from 'node:util';
import { newApp } from '@tidings/server';
import { CliError } from '../errors.ts';
import { dataDirOf, openLocalStore } from './local.ts';

/** `tidings app create|list`. */
export async function runApp(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
  });
  const [verb, name] = positionals;
  const store = await openLocalStore(dataDirOf(values['data-dir']));
  try {
    if (verb === 'create') {
      if (!name) throw new CliError('usage: tidings app create <name>');
      const app = newApp(name);
      await store.createApp(app);
      const out = { appKey: app.appKey, appSecret: app.appSecret, name: app.name };
      process.stdout.write(values.json ? JSON.stringify(out) + '\n' : `created app ${name}\n  key:    ${app.appKey}\n  secret: ${app.appSecret}\n`);
      return;
    }
    if (verb === 'list') {
      const apps = (await store.listApps()).map((a) => ({ appKey: a.appKey, name: a.name, disabled: a.disabled, createdAt: a.createdAt }));
      if (values.json) process.stdout.write(JSON.stringify(apps) + '\n');
      else for (const a of apps) process.stdout.write(`${a.appKey}  ${a.name}${a.disabled ? '  (disabled)' : ''}\n`);
      return;
    }
    throw new CliError('usage: tidings app create <name> | tidings app list');
  } finally {
    await store.close();
  }
}
