import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Test helpers: the database the PostgreSQL suites run against, and a fresh
 * schema per run. The service is mandatory: when it is unreachable the
 * suites fail (never skip) with a message saying how to start it.
 */

/** `TIDINGS_POSTGRES_URL`, or the local default. */
export const POSTGRES_URL = process.env.TIDINGS_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name unique to this run. */
export function freshSchemaName(): string {
  return `tidings_test_${randomBytes(6).toString('hex')}`;
}

/** Runs `sql` on a short-lived connection; throws a clear error when PostgreSQL is down. */
export async function adminQuery(sql: string, url = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (cause) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (set TIDINGS_POSTGRES_URL, or run scripts/services.sh): ${String(cause)}`,
      { cause },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string, url = POSTGRES_URL): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, url);
}
