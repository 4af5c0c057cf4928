/**
 * The loader's HTTP API as the console calls it. Every refusal comes back as
 * `{ code, message: { en, ja }, detail? }`; it becomes an ApiError whose `text`
 * the screens show in the operator's language. The session token lives in this
 * tab's sessionStorage only (a reload keeps it, another tab or a closed browser
 * does not).
 */
import type { Text } from '@myna-ap/text';

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

const TOKEN_KEY = 'myna.console.token';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
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
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
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
