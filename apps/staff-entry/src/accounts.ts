/**
 * `npm run accounts -w apps/staff-entry -- add LOGIN ROLE | list | unlock LOGIN`: the
 * staff accounts on this machine's database (the first administrator is made so;
 * app-kit's runAccountsCommand). The password comes from STAFF_ACCOUNT_PASSWORD or
 * the first line of stdin, never from a flag. The database settings are main.ts's.
 */
import { openAppDb, runAccountsCommand } from '@myna-ap/app-kit';
import { STAFF_ROLES } from './staffRoles.ts';
import { staffMigrations } from './store.ts';

process.exitCode = await runAccountsCommand({
  app: 'staff-entry',
  roles: STAFF_ROLES,
  argv: process.argv.slice(2),
  openDb: () =>
    openAppDb({ prefix: 'STAFF', dir: 'staff-entry-db', migrations: [staffMigrations] }),
});
