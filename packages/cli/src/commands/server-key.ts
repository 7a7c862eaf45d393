import { parseArgs } from 'node:util';
import { REMOTE_OPTIONS, api, appFrom, print } from './remote.ts';

/**
 * `tidings server-key`: the node's secure-session public key, through the
 * signed server API (so it comes from the node the app's credentials talk
 * to). Put it in the app's client configuration: the SDK pins it.
 */
export async function runServerKey(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: REMOTE_OPTIONS });
  const serverKey = await api(appFrom(values).serverKey());
  print(values, { serverKey }, (v) => v.serverKey);
}
