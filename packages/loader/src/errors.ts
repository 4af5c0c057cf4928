/**
 * Typed errors of the loading system. Every failure a caller can act on has a
 * stable `code` from the catalogue (contract/errors.ts, listed in docs/errors.md)
 * and a message in English and Japanese (operators read them).
 */
import type { CatalogueEntry, Text } from '@myna-ap/text';
import { DB_ERRORS, type DbErrorCode } from '@myna-ap/db';
import { LOADER_ERRORS, type LoaderErrorCode } from './contract/errors.ts';

/** The database's start-up refusals (no HTTP status: they never reach the API) keep their codes. */
const CODES: Readonly<Record<LoaderErrorCode | DbErrorCode, CatalogueEntry>> = {
  ...LOADER_ERRORS,
  ...DB_ERRORS,
};

export type { Text };
export { LOADER_ERRORS, type LoaderErrorCode };

export class LoaderError extends Error {
  override readonly name = 'LoaderError';
  readonly code: LoaderErrorCode | DbErrorCode;
  readonly text: Text;
  /** HTTP status the API answers with (the catalogue's; 4xx for the caller's mistakes). */
  readonly status: number;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  /**
   * `status` may be left out: the catalogue's is used. When given it must be the
   * catalogue's (one place for each code's status); a different one is a bug here.
   */
  constructor(
    code: LoaderErrorCode | DbErrorCode,
    text: Text,
    status?: number,
    detail?: Record<string, unknown>,
  ) {
    super(`${code}: ${text.en}`);
    const listed: number | undefined = CODES[code].status;
    if (status !== undefined && listed !== undefined && status !== listed) {
      throw new Error(`LoaderError ${code}: status ${status}, but the catalogue says ${listed}`);
    }
    this.code = code;
    this.text = text;
    this.status = status ?? listed ?? 400;
    this.detail = detail;
  }
}

export function notFound(what: string, id: string): LoaderError {
  return new LoaderError(
    'NOT_FOUND',
    { en: `${what} ${id} not found`, ja: `${what} ${id} が見つかりません` },
    404,
  );
}

export function forbidden(action: string): LoaderError {
  return new LoaderError(
    'FORBIDDEN',
    {
      en: `your role does not allow ${action} here`,
      ja: `この操作（${action}）を行う権限がありません`,
    },
    403,
  );
}
