import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Metrics } from './metrics.ts';
import type { TlsMaterial } from './tls.ts';

/**
 * The plain HTTP side of a node: health and metrics; every other request
 * goes to `fallback` (the signed server API) when given.
 */
export function createHttpServer(
  metrics: Metrics,
  health: () => boolean,
  fallback?: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: TlsMaterial,
): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const ok = health();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (fallback) return fallback(req, res);
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'not_found' }));
  };
  return tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
}
