/**
 * An app's database as its start-up and its accounts command open it: PostgreSQL
 * with DATABASE_URL, else PGlite in `<PREFIX>_DATA_DIR` (default
 * $MYNA_HOME/<dir>), with the app's migrations and the kit's (staff accounts, audit).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db, type MigrationSet } from '@myna-ap/db';
import { staffMigrations } from './staff.ts';

export function openAppDb(o: {
  /** The app's environment prefix: `LIBRARY` reads LIBRARY_DATA_DIR. */
  readonly prefix: string;
  /** The PGlite folder's name under $MYNA_HOME. */
  readonly dir: string;
  readonly migrations: readonly MigrationSet[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}): Promise<Db> {
  const env = o.env ?? process.env;
  return openDb({
    ...(env.DATABASE_URL
      ? { databaseUrl: env.DATABASE_URL }
      : {
          dataDir:
            env[`${o.prefix}_DATA_DIR`] ?? join(env.MYNA_HOME ?? join(homedir(), '.myna'), o.dir),
        }),
    migrations: [...o.migrations, staffMigrations],
  });
}
