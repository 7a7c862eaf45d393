import type { RouteOptions } from 'fastify';
import { HEADERS, SIGNATURE_SCHEME } from './canonical.ts';

declare module 'fastify' {
  /** Documentation fields of a route schema, read by {@link openApiDocument}. */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
    security?: readonly Record<string, readonly string[]>[];
    /** Leaves the route out of the document. */
    hide?: boolean;
  }
}

/** Route facts the document needs (what fastify's onRoute hook hands over). */
type Route = Pick<RouteOptions, 'method' | 'url' | 'schema'>;

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: readonly string[] };

const SIGNING = `Every /v1 route except /v1/admin/* is signed by the app. Headers: \`${HEADERS.app}\` (app key), \`${HEADERS.timestamp}\`
(ms since the epoch, within 5 minutes of the server clock), \`${HEADERS.nonce}\` (16-64 of [A-Za-z0-9_-], accepted once),
\`${HEADERS.signature}\`: lower-case hex HMAC-SHA256, keyed with the app secret (UTF-8), of the lines
${SIGNATURE_SCHEME}, app key, timestamp, nonce, METHOD, path as sent, canonical query (pairs sorted by key then value,
RFC 3986 encoded, joined by &), hex SHA-256 of the body bytes; joined by a newline (docs/server-api.md).`;

function parameters(where: 'path' | 'query', schema: unknown): unknown[] {
  const s = schema as Schema | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    schema: p,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
  }));
}

/**
 * The OpenAPI 3 document of the routes, generated from the same schemas
 * fastify validates with, so the document cannot drift from the server.
 */
export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...routes].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : String(a.method) < String(b.method) ? -1 : 1));
  for (const r of sorted) {
    const schema = (r.schema ?? {}) as Schema & { response?: Record<string, unknown>; body?: unknown };
    if (schema.hide) continue;
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, s] of Object.entries(schema.response ?? {})) {
      responses[status.toUpperCase()] = {
        description: status === '200' ? 'OK' : 'Error (see code)',
        content: { 'application/json': { schema: s } },
      };
    }
    const op = {
      summary: schema.summary,
      ...(schema.description ? { description: schema.description } : {}),
      tags: schema.tags,
      ...(schema.security ? { security: schema.security } : {}),
      parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
      ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
      responses,
    };
    for (const method of [r.method].flat()) (paths[path] ??= {})[String(method).toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Tidings server API', version: '1', description: SIGNING },
    components: {
      securitySchemes: {
        signature: { type: 'apiKey', in: 'header', name: HEADERS.signature, description: SIGNING },
        operator: { type: 'http', scheme: 'bearer', description: 'The operator credential (setting operatorToken).' },
      },
    },
    security: [{ signature: [] }],
    paths,
  };
}
