import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isValidId } from '@tidings/protocol';
import { issueUserToken } from '@tidings/server';
import { createClient, privateConvId } from '@tidings/sdk';
import { createFileStore } from '@tidings/sdk/node';
import { CliError } from '../errors.ts';
import { dataDirOf, openLocalStore, pickApp, readRuntime } from './local.ts';

/**
 * `tidings chat`: connects as a user of an embedded node, prints the private
 * conversation with a peer and sends each line typed. The client's outbox
 * and cursors live in the data directory, so a restarted chat resends what
 * was not acknowledged and shows nothing twice.
 */
export async function runChat(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      to: { type: 'string' },
      url: { type: 'string' },
      app: { type: 'string' },
      'data-dir': { type: 'string' },
      'server-key': { type: 'string' },
      'insecure-unpinned-server-key': { type: 'boolean' },
    },
  });
  const { user, to } = values;
  if (!user || !isValidId(user) || !to || !isValidId(to)) throw new CliError('usage: tidings chat --user ID --to PEER');
  const dataDir = dataDirOf(values['data-dir']);
  const store = await openLocalStore(dataDir);
  const app = await pickApp(store, values.app);
  await store.close();
  const url = values.url ?? readRuntime(dataDir)?.wsUrl;
  if (!url) throw new CliError(`no running node found in ${dataDir}; start one or pass --url`);
  // The client pins the node's key: the local node's from runtime.json, a remote one's from --server-key.
  const serverKey = values['server-key'] ?? (values.url ? undefined : readRuntime(dataDir)?.serverKey);
  const unpinned = values['insecure-unpinned-server-key'] === true;
  if (!serverKey && !unpinned) {
    throw new CliError('no server key to pin: pass --server-key KEY (`tidings server-key` prints it), or --insecure-unpinned-server-key for development only');
  }
  mkdirSync(join(dataDir, 'chat'), { recursive: true });
  const conv = privateConvId(user, to);
  const client = createClient({
    url,
    token: () => issueUserToken(app, user, 3600),
    ...(serverKey ? { serverKey } : { insecureUnpinnedServerKey: true }),
    store: await createFileStore({ path: join(dataDir, 'chat', `${app.appKey}.${user}.jsonl`) }),
  });
  const decoder = new TextDecoder();
  client.on('message', (m) => {
    if (m.convId !== conv) return;
    const who = m.senderId === user ? 'you' : m.senderId;
    process.stdout.write(`[${m.seq}] ${who}: ${decoder.decode(m.content)}\n`);
  });
  client.on('state', (s) => process.stderr.write(`(${s})\n`));
  client.on('error', (e) => process.stderr.write(`(error ${e.code}: ${e.message})\n`));
  await client.connect();
  process.stderr.write(`chatting with ${to} as ${user}; type a line and press enter, Ctrl-D to quit\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    client.send(conv, { type: 'text', content: line }).catch((e: unknown) => process.stderr.write(`(not sent: ${String(e)})\n`));
  });
  await new Promise<void>((resolve) => rl.once('close', () => resolve()));
  await client.close();
}
