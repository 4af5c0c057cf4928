/**
 * @myna-ap/db — the database every server package shares: one `Db` interface over
 * PGlite (embedded) and PostgreSQL, and migrations each package owns. Test helpers
 * (a throwaway PostgreSQL, fresh PGlite copies) are in `@myna-ap/db/testing`.
 */
export type { Db, DbKind, Isolation, Queryable, QueryResult, TransactionOptions } from './db.ts';
export { isRetryable, sqlState, uniqueViolation } from './db.ts';
export { openDb, type OpenDbOptions } from './open.ts';
export { openPglite, pgliteFsyncCount, type PgliteOptions } from './pglite.ts';
export { openPostgres } from './postgres.ts';
export {
  migrate,
  readMigrations,
  MIGRATION_LOCK_KEY,
  UNOWNED_MIGRATIONS_OWNER,
  type AppliedMigration,
  type Migration,
  type MigrationSet,
} from './migrate.ts';
export { DB_ERRORS, DbError, type DbErrorCode } from './errors.ts';
