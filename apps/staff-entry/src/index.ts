/**
 * @myna-ap/staff-entry — 職員証・入退室 on the card AP platform: staff cards on two
 * type D card APs, door terminals (a touch for low-risk rooms, the card AP PIN for
 * secure rooms), permissions per door and hours as pure rules, a hash-chained entry
 * log, and lost cards refused from the loader's status feed. README.md says how to
 * run it against a local loader.
 */
export { STAFF_ERRORS, STAFF_ERRORS_LISTED, StaffError, type StaffErrorCode } from './errors.ts';
export * from './rules.ts';
export * from './chain.ts';
export * from './store.ts';
export { pollFeed, type LoaderLink } from './feed.ts';
export { DoorTerminal, type DoorAnswer, type DoorTerminalOptions } from './terminal.ts';
export { buildStaffServer, type StaffServerOptions } from './server.ts';
