/**
 * @myna-ap/library — a library's counter on the card AP platform: holders registered
 * by the type C card AP's user ID, lending and returning by a touch, the limits as
 * pure rules, the overdue list, and lost cards refused from the loader's status
 * feed. README.md says how to run it against a local loader.
 */
export {
  LIBRARY_ERRORS,
  LIBRARY_ERRORS_LISTED,
  LibraryError,
  type LibraryErrorCode,
} from './errors.ts';
export * from './rules.ts';
export * from './holder.ts';
export * from './store.ts';
export { touchCard, type CounterReader } from './counter.ts';
export { pollFeed, type LoaderLink } from './feed.ts';
export { buildLibraryServer, type LibraryServerOptions } from './server.ts';
