import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import { REMOTE_OPTIONS, adminFrom, api, print } from './remote.ts';

const USAGE = 'usage: tidings app create <name> | list | disable <key> | enable <key> | rotate-secret <key> [--grace SECONDS]';

/** `tidings app ...`: apps through the server API, with the operator credential. */
export async function runApps(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...REMOTE_OPTIONS, grace: { type: 'string' } } });
  const [verb, arg] = positionals;
  const admin = adminFrom(values);
  switch (verb) {
    case 'create': {
      if (!arg) throw new CliError(USAGE);
      const app = await api(admin.apps.create(arg));
      return print(values, { appKey: app.appKey, appSecret: app.appSecret, name: app.name }, (a) => `created app ${a.name}\n  key:    ${a.appKey}\n  secret: ${a.appSecret}`);
    }
    case 'list': {
      const apps = await api(admin.apps.list());
      return print(values, apps, (list) => list.map((a) => `${a.appKey}  ${a.name}${a.disabled ? '  (disabled)' : ''}`).join('\n'));
    }
    case 'disable':
    case 'enable': {
      if (!arg) throw new CliError(USAGE);
      const app = await api(verb === 'disable' ? admin.apps.disable(arg) : admin.apps.enable(arg));
      return print(values, app, (a) => `${a.appKey} ${a.disabled ? 'disabled' : 'enabled'}`);
    }
    case 'rotate-secret': {
      if (!arg) throw new CliError(USAGE);
      const grace = values.grace === undefined ? undefined : Number(values.grace);
      if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new CliError('--grace must be a number of seconds');
      const app = await api(admin.apps.rotateSecret(arg, grace));
      return print(
        values,
        { appKey: app.appKey, appSecret: app.appSecret, previousSecretExpiresAt: app.previousSecretExpiresAt },
        (a) => `new secret for ${a.appKey}: ${a.appSecret}\n  the old one works until ${new Date(a.previousSecretExpiresAt ?? 0).toISOString()}`,
      );
    }
    default:
      throw new CliError(USAGE);
  }
}
