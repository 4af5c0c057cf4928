/**
 * The identity platform's tables: packages/idp/migrations/NNN_name.sql, owned by
 * `idp` (the bookkeeping key in schema_migrations of @myna-ap/db). They refer to
 * no other package's tables, so a server may list this set in any place.
 */
import { fileURLToPath } from 'node:url';
import type { MigrationSet } from '@myna-ap/db';

export const idpMigrations: MigrationSet = {
  owner: 'idp',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};
