import { isErrorCode } from '@tidings/protocol';
import { ServerApiError } from './errors.ts';
import { newNonce, signRequest } from './signing.ts';

/** How requests are authenticated: app signature, or the operator's bearer credential. */
export type Credentials =
  | { readonly kind: 'app'; readonly appKey: string; readonly appSecret: string }
  | { readonly kind: 'operator'; readonly operatorToken: string };

/** Options shared by the clients. */
export interface TransportOptions {
  /** Server base URL, e.g. `http://127.0.0.1:7600`. */
  readonly baseUrl: string;
  /** Extra attempts after a retryable failure (network error, 5xx with a retryable code). Default 3. */
  readonly retries?: number;
  /** First backoff in ms, doubled per attempt. Default 100. */
  readonly backoffMs?: number;
  /** Per-attempt timeout in ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Clock for the signature timestamp (tests). */
  readonly now?: () => number;
  /** fetch implementation (tests). */
  readonly fetch?: typeof fetch;
}

/** One API call. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with already encoded segments; see {@link path}. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  /** Retry retryable failures (every app route is safe to retry; see docs). Default true. */
  readonly retry?: boolean;
}

/**
 * Builds a path from literal parts and values, percent-encoding each value
 * as one segment. `.` and `..` cannot be addressed (URL parsers resolve them).
 */
export function path(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const s = String(v);
    if (s === '' || s === '.' || s === '..') throw new TypeError(`${JSON.stringify(s)} cannot be a path segment`);
    out += encodeURIComponent(s) + (strings[i + 1] ?? '');
  });
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The signing, retrying HTTP layer the clients share. */
export function createTransport(credentials: Credentials, o: TransportOptions) {
  const base = o.baseUrl.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const now = o.now ?? Date.now;

  async function attempt(req: ApiRequest): Promise<unknown> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) qs.append(k, String(v));
    const url = req.path + (qs.size > 0 ? `?${qs.toString()}` : '');
    const body = req.body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(req.body));
    const headers: Record<string, string> = req.body === undefined ? {} : { 'content-type': 'application/json' };
    if (credentials.kind === 'app') {
      // A fresh timestamp and nonce per attempt: the server accepts a nonce once.
      Object.assign(headers, signRequest(credentials.appSecret, { appKey: credentials.appKey, timestamp: String(now()), nonce: newNonce(), method: req.method, url, body }));
    } else {
      headers.authorization = `Bearer ${credentials.operatorToken}`;
    }
    let res: Response;
    try {
      res = await doFetch(base + url, { method: req.method, headers, ...(body.length > 0 ? { body } : {}), signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
    } catch (cause) {
      throw new ServerApiError('client.network', 0, `${req.method} ${req.path}: ${(cause as Error).message}`, { cause });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ServerApiError(res.ok ? 'client.bad_response' : 'server.internal', res.status, `${req.method} ${req.path}: answer is not JSON`);
    }
    if (res.ok) return parsed;
    const err = parsed as { code?: string; message?: string } | undefined;
    const code = err?.code && isErrorCode(err.code) ? err.code : 'server.internal';
    throw new ServerApiError(code, res.status, err?.message ?? `HTTP ${res.status}`);
  }

  return {
    /** Sends one request, retrying retryable failures with exponential backoff. */
    async request<T>(req: ApiRequest): Promise<T> {
      const retries = req.retry === false ? 0 : (o.retries ?? 3);
      for (let i = 0; ; i++) {
        try {
          return (await attempt(req)) as T;
        } catch (err) {
          if (!(err instanceof ServerApiError) || !err.retryable || i >= retries) throw err;
          await sleep((o.backoffMs ?? 100) * 2 ** i);
        }
      }
    },
  };
}

/** The transport of a client. */
export type Transport = ReturnType<typeof createTransport>;
