/** Chooses the database: DATABASE_URL (postgres://…) or embedded PGlite. */
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { migrate } from './migrate.ts';
import { LoaderError } from '../errors.ts';

export interface OpenDbOptions {
  /** postgres:// or postgresql:// URL; wins over `dataDir`. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Apply migrations (default true). */
  readonly migrate?: boolean;
}

export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
  let db: Db;
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new LoaderError('DATABASE_URL_INVALID', {
        en: 'DATABASE_URL must start with postgres:// or postgresql://',
        ja: 'DATABASE_URL は postgres:// または postgresql:// で始めてください',
      });
    }
    db = openPostgres(options.databaseUrl);
  } else {
    db = await openPglite(options.dataDir);
  }
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  return db;
}
