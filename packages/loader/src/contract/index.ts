/**
 * `@myna-ap/loader/contract`: the loader API as data — every request and
 * response body (zod schemas and their types), the operations table, and the
 * failure-code catalogue. Imports only zod and @myna-ap/text, so the CLI, the
 * browser console and the terminal agent load it without the server.
 */
export * from './schemas.ts';
export * from './results.ts';
export {
  API,
  type Api,
  type Operation,
  type OperationName,
  type InputOf,
  type OutputOf,
  type ParsedOf,
} from './api.ts';
export { LOADER_ERRORS, LOADER_ERROR_CODES, type LoaderErrorCode } from './errors.ts';
export * from './console.ts';
export * from './channel.ts';
export * from './clients.ts';
