/**
 * `npm run accounts -w apps/library -- add LOGIN ROLE | list | unlock LOGIN`: the
 * staff accounts on this machine's database (the first administrator is made so;
 * app-kit's runAccountsCommand). The password comes from STAFF_ACCOUNT_PASSWORD or
 * the first line of stdin, never from a flag. The database settings are main.ts's.
 */
import { openAppDb, runAccountsCommand } from '@myna-ap/app-kit';
import { LIBRARY_ROLES } from './staffRoles.ts';
import { libraryMigrations } from './store.ts';

process.exitCode = await runAccountsCommand({
  app: 'library',
  roles: LIBRARY_ROLES,
  argv: process.argv.slice(2),
  openDb: () =>
    openAppDb({ prefix: 'LIBRARY', dir: 'library-db', migrations: [libraryMigrations] }),
});
