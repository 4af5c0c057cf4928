/**
 * @myna-ap/app-kit — what the business systems (apps/*) share, so each keeps only
 * its own domain: the server scaffolding (`appServer`: form bodies, the answer to a
 * refusal as a page or JSON, 404, /healthz) and the page helpers; the error class
 * over an app's catalogue (`appErrorClass`); the status feed poll
 * (`pollLoaderFeed`); named staff accounts with roles, a lockout and the audit of
 * what staff do (`staffAuth`, `runAccountsCommand`); the app's database
 * (`openAppDb`). Its tests' worlds are `@myna-ap/app-kit/testing`.
 */
export {
  AppError,
  appErrorClass,
  KIT_ERRORS,
  KIT_ERRORS_LISTED,
  KitError,
  type KitErrorCode,
} from './errors.ts';
export {
  answerPage,
  appServer,
  esc,
  fromForm,
  htmlPage,
  said,
  type AppServerOptions,
} from './server.ts';
export { pollLoaderFeed, type FeedPageOf, type LoaderLink } from './feed.ts';
export { catalogueSection, sectionHeading, sectionIn, type ListedCatalogue } from './errorsDoc.ts';
export {
  addStaffAccount,
  appendStaffAudit,
  defineRoles,
  disableStaffAccount,
  LOCKOUT,
  staffAccounts,
  staffAudit,
  staffAuth,
  staffMigrations,
  unlockStaffAccount,
  type StaffAccountView,
  type StaffAuditRow,
  type StaffAuthOptions,
  type StaffMember,
  type StaffRoles,
} from './staff.ts';
export {
  DEFAULT_SCRYPT,
  hashPassword,
  MIN_PASSWORD,
  passwordMatches,
  TEST_SCRYPT,
  type ScryptCost,
} from './password.ts';
export { openAppDb } from './appDb.ts';
export { runAccountsCommand, type AccountsCommand } from './accountsCommand.ts';
