import { TidingsClient } from './client.ts';
import type { ClientOptions } from './options.ts';

/**
 * Creates a client. Nothing happens on the network until `connect()`.
 *
 * @example
 * ```ts
 * import { createClient, privateConvId } from '@tidings/sdk';
 * import { createFileStore } from '@tidings/sdk/node';
 *
 * const client = createClient({
 *   url: 'wss://im.example.com/ws',
 *   token: () => fetch('/api/tidings-token').then((r) => r.text()),
 *   store: await createFileStore({ path: './alice.tidings.jsonl' }),
 * });
 * client.on('message', (m) => console.log(m.convId, m.seq, new TextDecoder().decode(m.content)));
 * client.on('error', (e) => console.warn(e.code));
 * await client.connect();
 * const ack = await client.send(privateConvId('alice', 'bob'), { type: 'text', content: 'hi' });
 * console.log(ack.seq);
 * ```
 */
export function createClient(options: ClientOptions): TidingsClient {
  return new TidingsClient(options);
}
