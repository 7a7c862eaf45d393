/** The PostgreSQL storage adapter (cluster mode). */
export { createPostgresStore } from './store.ts';
export type { PostgresStoreOptions } from './store.ts';
export { MIGRATIONS as POSTGRES_MIGRATIONS, migrate as migratePostgres } from './schema.ts';
