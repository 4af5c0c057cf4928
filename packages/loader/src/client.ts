/** A small client of the loader API (used by the CLI and the tests). */
import { LoaderError, type Text } from './errors.ts';

export class ApiError extends LoaderError {
  constructor(code: string, text: Text, status: number, detail?: Record<string, unknown>) {
    super(code, text, status, detail);
  }
}

export class ApiClient {
  readonly base: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  constructor(base: string, token?: string, timeoutMs = 30_000) {
    this.base = base.replace(/\/+$/, '');
    this.token = token;
    this.timeoutMs = timeoutMs;
  }

  async request<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? null : JSON.stringify(body),
        // A server that accepts but never answers must not hang the CLI.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ApiError(
        'SERVER_UNREACHABLE',
        {
          en: `cannot reach the loader at ${this.base} (${(e as Error).message}); is \`myna serve\` running?`,
          ja: `${this.base} のサーバに接続できません。\`myna serve\` を起動しているか確認してください`,
        },
        0,
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      // The server went away after the headers: as unreachable as before them.
      throw new ApiError(
        'SERVER_UNREACHABLE',
        {
          en: `the loader at ${this.base} stopped answering mid-reply (${(e as Error).message})`,
          ja: `${this.base} のサーバが応答の途中で切断しました`,
        },
        0,
      );
    }
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = json as
        { code?: string; message?: Text; detail?: Record<string, unknown> } | undefined;
      throw new ApiError(
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? { en: `HTTP ${res.status}`, ja: `HTTP ${res.status}` },
        res.status,
        e?.detail,
      );
    }
    return json as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}
