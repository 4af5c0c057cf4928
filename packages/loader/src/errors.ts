/**
 * Typed errors of the loading system. Every failure a caller can act on has a
 * stable `code` and a message in English and Japanese (operators read them).
 */
export type Text = { readonly en: string; readonly ja: string };

export class LoaderError extends Error {
  override readonly name = 'LoaderError';
  readonly code: string;
  readonly text: Text;
  /** HTTP status the API answers with (always 4xx for the caller's mistakes). */
  readonly status: number;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  constructor(code: string, text: Text, status = 400, detail?: Record<string, unknown>) {
    super(`${code}: ${text.en}`);
    this.code = code;
    this.text = text;
    this.status = status;
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
