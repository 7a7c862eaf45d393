import { readFileSync } from 'node:fs';
import { SCHEMA, envName, type Config } from './schema.ts';

/** A setting failed validation. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where settings come from, lowest precedence first (defaults are implied). */
export interface ConfigSources {
  /** Path of a JSON file with settings by name. */
  readonly file?: string;
  /** Usually process.env; only this module reads it. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Settings from command-line flags or code. */
  readonly overrides?: Readonly<Partial<Record<keyof Config, string | number>>>;
}

function coerce(key: keyof Config, raw: unknown, origin: string): string | number {
  const field = SCHEMA[key];
  if (field.kind === 'int') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isInteger(n)) throw new ConfigError(`${key} (${origin}) must be an integer, got ${JSON.stringify(raw)}`);
    if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) {
      throw new ConfigError(`${key} (${origin}) must be between ${field.min} and ${field.max}, got ${n}`);
    }
    return n;
  }
  if (typeof raw !== 'string') throw new ConfigError(`${key} (${origin}) must be a string`);
  if (field.kind === 'enum' && !field.values?.includes(raw)) {
    throw new ConfigError(`${key} (${origin}) must be one of ${field.values?.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** Builds the frozen configuration: defaults < file < environment < overrides. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const out: Record<string, string | number> = {};
  const keys = Object.keys(SCHEMA) as (keyof Config)[];
  for (const key of keys) out[key] = SCHEMA[key].default;
  if (sources.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${sources.file}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ConfigError(`${sources.file} must hold a JSON object`);
    for (const [k, v] of Object.entries(parsed)) {
      if (!Object.hasOwn(SCHEMA, k)) throw new ConfigError(`unknown setting ${k} in ${sources.file}`);
      out[k] = coerce(k as keyof Config, v, sources.file);
    }
  }
  for (const key of keys) {
    const v = sources.env?.[envName(key)];
    if (v !== undefined) out[key] = coerce(key, v, envName(key));
  }
  for (const [k, v] of Object.entries(sources.overrides ?? {})) {
    if (v === undefined) continue;
    if (!Object.hasOwn(SCHEMA, k)) throw new ConfigError(`unknown setting ${k}`);
    out[k] = coerce(k as keyof Config, typeof v === 'number' && SCHEMA[k as keyof Config].kind !== 'int' ? String(v) : v, 'flag');
  }
  return Object.freeze(out) as unknown as Config;
}

/** Configuration from the real process environment. */
export function configFromProcess(overrides: ConfigSources['overrides'] = {}, file?: string): Config {
  return loadConfig({ env: process.env, overrides, ...(file ? { file } : {}) });
}
