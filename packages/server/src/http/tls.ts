import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';

/** A certificate chain and its key, PEM. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** TLS material from the configured files; undefined when TLS is not configured. */
export function tlsOf(config: Pick<Config, 'tlsCert' | 'tlsKey'>): TlsMaterial | undefined {
  if (!config.tlsCert && !config.tlsKey) return undefined;
  if (!config.tlsCert || !config.tlsKey) throw new ConfigError('tlsCert and tlsKey must be set together');
  try {
    return { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
  } catch (err) {
    throw new ConfigError(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
}
