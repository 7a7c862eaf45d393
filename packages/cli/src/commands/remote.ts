import { createAdminClient, createServerClient, ServerApiError, type AdminClient, type ServerClient } from '@tidings/server-sdk';
import { CliError } from '../errors.ts';
import { dataDirOf, readRuntime } from './local.ts';

/**
 * Where the API commands find their server and credentials: flags first,
 * then TIDINGS_URL / TIDINGS_APP_KEY / TIDINGS_APP_SECRET /
 * TIDINGS_OPERATOR_TOKEN, then the runtime.json of a local development node
 * (its URL, generated operator token and development app).
 */
export const REMOTE_OPTIONS = {
  url: { type: 'string' },
  'data-dir': { type: 'string' },
  app: { type: 'string' },
  secret: { type: 'string' },
  'operator-token': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The parsed common flags. */
export interface RemoteFlags {
  readonly url?: string | undefined;
  readonly 'data-dir'?: string | undefined;
  readonly app?: string | undefined;
  readonly secret?: string | undefined;
  readonly 'operator-token'?: string | undefined;
  readonly json?: boolean | undefined;
}

function baseUrlOf(f: RemoteFlags) {
  const runtime = f.url || process.env.TIDINGS_URL ? undefined : readRuntime(dataDirOf(f['data-dir']));
  const baseUrl = f.url ?? process.env.TIDINGS_URL ?? runtime?.httpUrl;
  if (!baseUrl) throw new CliError('no server: pass --url, set TIDINGS_URL, or run `tidings start` (or pass its --data-dir)');
  return { baseUrl, runtime: runtime ?? readRuntime(dataDirOf(f['data-dir'])) };
}

/** The operator's client. */
export function adminFrom(f: RemoteFlags): AdminClient {
  const { baseUrl, runtime } = baseUrlOf(f);
  const operatorToken = f['operator-token'] ?? process.env.TIDINGS_OPERATOR_TOKEN ?? runtime?.operatorToken;
  if (!operatorToken) throw new CliError('no operator credential: pass --operator-token or set TIDINGS_OPERATOR_TOKEN');
  return createAdminClient({ baseUrl, operatorToken });
}

/** An app's client: --app/--secret, the environment, or the development app. */
export function appFrom(f: RemoteFlags): ServerClient {
  const { baseUrl, runtime } = baseUrlOf(f);
  const appKey = f.app ?? process.env.TIDINGS_APP_KEY ?? runtime?.devApp?.appKey;
  const appSecret = f.secret ?? process.env.TIDINGS_APP_SECRET ?? (appKey === runtime?.devApp?.appKey ? runtime?.devApp?.appSecret : undefined);
  if (!appKey || !appSecret) throw new CliError('no app credentials: pass --app KEY --secret SECRET or set TIDINGS_APP_KEY and TIDINGS_APP_SECRET');
  return createServerClient({ baseUrl, appKey, appSecret });
}

/** Prints `value` as one JSON line with --json, else as `human(value)`. */
export function print<T>(f: RemoteFlags, value: T, human: (v: T) => string): void {
  process.stdout.write(f.json ? JSON.stringify(value) + '\n' : human(value) + '\n');
}

/** Turns an API error into a CLI error that names its code. */
export async function api<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ServerApiError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}
