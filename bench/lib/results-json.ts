import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeMachine, gitCommit } from './machine.ts';

/** What every results file records besides its figures. */
export interface ResultMeta {
  readonly scenario: string;
  readonly command: string;
  readonly date: string;
  readonly commit: string;
  readonly machine: string;
  /** Seconds the whole run took. */
  readonly seconds: number;
}

/** A results file: the meta plus scenario-specific figures (every trial). */
export interface ResultFile<T = unknown> extends ResultMeta {
  readonly data: T;
}

/** Meta of a run starting now. */
export function newMeta(root: string, scenario: string, argv: readonly string[]): Omit<ResultMeta, 'seconds'> {
  return {
    scenario,
    command: `npm run bench -- ${scenario}${argv.length ? ' ' + argv.join(' ') : ''}`,
    date: new Date().toISOString(),
    commit: gitCommit(root),
    machine: describeMachine(),
  };
}

/** Writes `bench/results/<scenario>.json`; returns its path. */
export function writeResult<T>(root: string, meta: Omit<ResultMeta, 'seconds'>, startedMs: number, data: T): string {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${meta.scenario}.json`);
  const out: ResultFile<T> = { ...meta, seconds: Math.round((Date.now() - startedMs) / 1000), data };
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  return file;
}

/** Every results file, by scenario name. */
export function readResults(root: string): Map<string, ResultFile> {
  const dir = join(root, 'bench/results');
  const out = new Map<string, ResultFile>();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return out;
  }
  for (const f of names) {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ResultFile;
    out.set(r.scenario, r);
  }
  return out;
}
