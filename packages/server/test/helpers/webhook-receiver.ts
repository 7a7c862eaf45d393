import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@tidings/server-sdk';

/** What the receiver does with one request. */
export type ReceiverAction = 'ok' | 'fail500' | 'destroy' | 'hang';

/** One accepted (answered 2xx) callback. */
export interface Accepted {
  readonly key: string;
  readonly event: string;
  readonly body: Record<string, unknown>;
}

/**
 * A node:http webhook receiver for tests: checks every signature, asks
 * `decide` how to answer, and records the callbacks it accepted with 2xx,
 * deduplicating by idempotency key (repeats are counted, not recorded twice).
 */
export async function startReceiver(appKey: string, secret: () => string, decide: (n: number, body: Record<string, unknown>) => ReceiverAction | Promise<ReceiverAction>) {
  let requests = 0;
  const accepted: Accepted[] = [];
  const seen = new Map<string, number>();
  const badSignatures: string[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const v = verifyWebhook({ appKey, secrets: [secret()], headers: req.headers, body: raw });
        if (!v.ok) {
          badSignatures.push(v.reason);
          return res.writeHead(401).end();
        }
        const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        const key = req.headers['x-tidings-idempotency-key'] as string;
        if (body.idempotencyKey !== undefined && body.idempotencyKey !== key) badSignatures.push('key mismatch');
        const action = await decide(++requests, body);
        if (action === 'destroy') return req.socket.destroy();
        if (action === 'hang') return void hanging.add(res);
        if (action === 'fail500') return res.writeHead(500).end('nope');
        const n = seen.get(key) ?? 0;
        seen.set(key, n + 1);
        if (n === 0) accepted.push({ key, event: req.headers['x-tidings-event'] as string, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    accepted,
    badSignatures,
    get requests() {
      return requests;
    },
    /** Repeated deliveries of already accepted keys. */
    get duplicates() {
      let d = 0;
      for (const n of seen.values()) d += n - 1;
      return d;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Polls `check` until true or `ms` elapse. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
