import { createClient, type BackoffOptions, type Message, type TidingsClient, type TidingsError } from '@tidings/sdk';
import { issueUserToken } from '@tidings/server';
import type { testNode } from './node.ts';

type Node = Awaited<ReturnType<typeof testNode>>;

/** One SDK client per named user of the node's development app, recording what each surfaced. */
export function people(node: Node, names: string[], backoff?: BackoffOptions) {
  const app = node.info.devApp!;
  const seen = new Map<string, Message[]>();
  const clients = new Map<string, TidingsClient>();
  for (const n of names) {
    const c = createClient({
      url: node.info.wsUrl,
      token: () => issueUserToken(app, n, 60),
      deviceId: `${n}-d`,
      serverKey: node.info.serverKey,
      ...(backoff ? { backoff } : {}),
    });
    seen.set(n, []);
    c.on('message', (m) => seen.get(n)!.push(m));
    c.on('error', () => {});
    clients.set(n, c);
  }
  return {
    c: (n: string) => clients.get(n)!,
    seen: (n: string, conv: string) => seen.get(n)!.filter((m) => m.convId === conv),
    connect: () => Promise.all([...clients.values()].map((c) => c.connect())),
    close: () => Promise.all([...clients.values()].map((c) => c.close())),
  };
}

/** Resolves once `ok()` holds; fails naming `what` after `ms`. */
export async function until(ok: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** 'ok', or the error code a promise rejected with. */
export const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as TidingsError).code;
  }
};
