import { parseArgs } from 'node:util';
import { isValidId } from '@tidings/protocol';
import { issueUserToken } from '@tidings/server';
import { CliError } from '../errors.ts';
import { dataDirOf, openLocalStore, pickApp } from './local.ts';

/** `tidings token`: prints a user token for an app (the development app by default). */
export async function runToken(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { user: { type: 'string' }, app: { type: 'string' }, ttl: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  if (!values.user || !isValidId(values.user)) throw new CliError('--user must be 1-128 characters of letters, digits and _ . @ = + -');
  const ttl = Number(values.ttl ?? 86_400);
  if (!Number.isInteger(ttl) || ttl < 1) throw new CliError('--ttl must be a positive number of seconds');
  const store = await openLocalStore(dataDirOf(values['data-dir']));
  try {
    const app = await pickApp(store, values.app);
    process.stdout.write((await issueUserToken(app, values.user, ttl)) + '\n');
  } finally {
    await store.close();
  }
}
