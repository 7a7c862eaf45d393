import { parseArgs } from 'node:util';
import type { User } from '@tidings/server-sdk';
import { CliError } from '../errors.ts';
import { REMOTE_OPTIONS, api, appFrom, print } from './remote.ts';

const USAGE = 'usage: tidings user upsert|get|token|revoke|block|unblock|online|delete <userId> [--name N] [--avatar URL] [--extra JSON] [--ttl SECONDS]';

const describe = (u: User): string =>
  `${u.userId}  ${u.deletedAt ? `(deleted ${new Date(u.deletedAt).toISOString()})` : u.name || '(no name)'}${u.blocked ? '  (blocked)' : ''}${u.tokensValidAfter ? `  tokens valid after ${new Date(u.tokensValidAfter).toISOString()}` : ''}`;

/** `tidings user ...`: users of an app through the signed server API. */
export async function runUser(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...REMOTE_OPTIONS, name: { type: 'string' }, avatar: { type: 'string' }, extra: { type: 'string' }, ttl: { type: 'string' } },
  });
  const [verb, userId] = positionals;
  if (!verb || !userId) throw new CliError(USAGE);
  const client = appFrom(values);
  switch (verb) {
    case 'upsert': {
      let extra: unknown;
      if (values.extra !== undefined) {
        try {
          extra = JSON.parse(values.extra);
        } catch {
          throw new CliError('--extra must be JSON');
        }
      }
      const profile = {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.avatar !== undefined ? { avatarUrl: values.avatar } : {}),
        ...(extra !== undefined ? { extra } : {}),
      };
      return print(values, await api(client.users.upsert(userId, profile)), describe);
    }
    case 'get':
      return print(values, await api(client.users.get(userId)), describe);
    case 'token': {
      const ttl = Number(values.ttl ?? 86_400);
      if (!Number.isInteger(ttl) || ttl < 1) throw new CliError('--ttl must be a positive number of seconds');
      return print(values, await api(client.users.issueToken(userId, ttl)), (t) => t.token);
    }
    case 'revoke':
      return print(values, await api(client.users.revokeTokens(userId)), describe);
    case 'block':
      return print(values, await api(client.users.block(userId)), describe);
    case 'unblock':
      return print(values, await api(client.users.unblock(userId)), describe);
    case 'delete':
      return print(values, await api(client.users.delete(userId)), describe);
    case 'online':
      return print(values, await api(client.users.online(userId)), (o) => `${o.userId} ${o.online ? 'online' : 'offline'}`);
    default:
      throw new CliError(USAGE);
  }
}
