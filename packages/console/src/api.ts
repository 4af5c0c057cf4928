/**
 * The loader's HTTP API as the console calls it. Every refusal comes back as
 * `{ code, message: { en, ja }, detail? }`; it becomes an ApiError whose `text`
 * the screens show in the operator's language. The session is an HttpOnly cookie
 * that no script here can read (SameSite=Strict); every state change carries the
 * session's CSRF token, which the server gives at login and on GET
 * /v1/console/session and which lives only in this page's memory.
 */
import type { Text } from '@myna-ap/text';
import { CSRF_HEADER } from '@myna-ap/loader/contract';

export class ApiError extends Error {
  readonly code: string;
  readonly text: Text;
  readonly status: number;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: string, text: Text, status: number, detail?: Record<string, unknown>) {
    super(`${code}: ${text.en}`);
    this.code = code;
    this.text = text;
    this.status = status;
    this.detail = detail;
  }
}

let csrfToken: string | null = null;

/** After login (or a reload's session check); null at logout. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

function isText(v: unknown): v is Text {
  const t = v as Text | undefined;
  return typeof t?.en === 'string' && typeof t?.ja === 'string';
}

/** Turns anything thrown into an ApiError (the screens show only these). */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const m = (e as Error)?.message ?? String(e);
  return new ApiError('CONSOLE_ERROR', { en: m, ja: m }, 0);
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method !== 'GET' && csrfToken ? { [CSRF_HEADER]: csrfToken } : {}),
      },
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(
      'SERVER_UNREACHABLE',
      {
        en: 'The server cannot be reached. Check the network cable, then try again.',
        ja: 'サーバに接続できません。ネットワークを確認してから、もう一度お試しください。',
      },
      0,
    );
  }
  const raw = await res.text();
  let json: unknown;
  try {
    json = raw.length > 0 ? JSON.parse(raw) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = json as { code?: unknown; message?: unknown; detail?: unknown } | undefined;
    throw new ApiError(
      typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`,
      isText(e?.message)
        ? e.message
        : { en: `The server answered HTTP ${res.status}.`, ja: `サーバの応答: HTTP ${res.status}` },
      res.status,
      (e?.detail as Record<string, unknown> | undefined) ?? undefined,
    );
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
