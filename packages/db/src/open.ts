/** Chooses the database: DATABASE_URL (postgres://…) or embedded PGlite, then migrates it. */
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { migrate, type MigrationSet } from './migrate.ts';
import { DbError } from './errors.ts';

export interface OpenDbOptions {
  /** postgres:// or postgresql:// URL; wins over `dataDir`. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** The migration sets of every package the caller runs, applied in this order. */
  readonly migrations?: readonly MigrationSet[];
}

export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
  let db: Db;
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) throw new DbError('DATABASE_URL_INVALID');
    db = openPostgres(options.databaseUrl);
  } else {
    db = await openPglite(options.dataDir);
  }
  if (options.migrations && options.migrations.length > 0) {
    try {
      await migrate(db, options.migrations);
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  return db;
}
