/**
 * The loading system's tables: packages/loader/migrations/NNN_name.sql, owned by
 * `loader` (the bookkeeping key in schema_migrations). A server that runs the
 * loader passes this set to `openDb` / `migrate` of @myna-ap/db, before the sets of
 * packages whose tables refer to the loader's.
 */
import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '@myna-ap/db';

export const loaderMigrations: MigrationSet = {
  owner: 'loader',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};
