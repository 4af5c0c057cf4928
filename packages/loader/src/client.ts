/**
 * The typed client of the loader API (the CLI, the tests, the terminal agent):
 * operations by their contract name, inputs typed by the contract, every answer
 * parsed with the operation's response schema — a server that answers outside
 * the contract is an error here, never a value cast into shape.
 */
import type { Text } from '@myna-ap/text';
import { API, type InputOf, type OperationName, type OutputOf } from './contract/api.ts';
import type { LoaderErrorCode } from './contract/errors.ts';

/** A refusal from the server (its code and text), or the client's own (unreachable, bad answer). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** A catalogue code (docs/errors.md), or `HTTP_<status>` when the server said no more. */
  readonly code: LoaderErrorCode | `HTTP_${number}` | (string & {});
  readonly text: Text;
  /** HTTP status; 0 when the server did not answer. */
  readonly status: number;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  constructor(code: string, text: Text, status: number, detail?: Record<string, unknown>) {
    super(`${code}: ${text.en}`);
    this.code = code;
    this.text = text;
    this.status = status;
    this.detail = detail;
  }
}

type Call<N extends OperationName> =
  Record<never, never> extends InputOf<N> ? [input?: InputOf<N>] : [input: InputOf<N>];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The path of an operation with its params filled in. */
export function pathOf(name: OperationName, params: unknown, query: unknown): string {
  const p = isObject(params) ? params : {};
  let path = API[name].path.replace(/:([A-Za-z]+)/g, (_m, k: string) =>
    encodeURIComponent(String(p[k] ?? '')),
  );
  if (isObject(query)) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    if (s) path += `?${s}`;
  }
  return path;
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

  /** Calls operation `name` of the contract; resolves with its parsed answer. */
  async call<N extends OperationName>(name: N, ...[input]: Call<N>): Promise<OutputOf<N>> {
    const text = await this.send(name, input);
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      throw this.badAnswer(name, 'not JSON');
    }
    const out = API[name].response.safeParse(json);
    if (!out.success) throw this.badAnswer(name, out.error.issues[0]?.message ?? 'schema');
    return out.data as OutputOf<N>;
  }

  /** Calls operation `name` and returns the body as text (the daily list as CSV). */
  async text<N extends OperationName>(name: N, ...[input]: Call<N>): Promise<string> {
    return this.send(name, input);
  }

  private badAnswer(name: OperationName, why: string): ApiError {
    return new ApiError(
      'RESPONSE_INVALID',
      {
        en: `the loader at ${this.base} answered ${API[name].method} ${API[name].path} outside the API contract (${why}): is it another version?`,
        ja: `${this.base} のサーバの応答がAPIの仕様と合いません（版が違う可能性があります）`,
      },
      0,
    );
  }

  private async send(name: OperationName, input: unknown): Promise<string> {
    const op = API[name];
    const i = isObject(input) ? input : {};
    const path = pathOf(name, i.params, i.query);
    const body = op.method === 'POST' ? (i.body ?? {}) : undefined;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: op.method,
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
    if (!res.ok) throw refusal(res.status, text);
    return text;
  }
}

/** The server's refusal body `{ code, message: { en, ja }, detail? }`, read leniently. */
function refusal(status: number, text: string): ApiError {
  let e: unknown;
  try {
    e = JSON.parse(text);
  } catch {
    e = undefined;
  }
  const o = isObject(e) ? e : {};
  const m = isObject(o.message) ? o.message : undefined;
  const message =
    m && typeof m.en === 'string' && typeof m.ja === 'string'
      ? { en: m.en, ja: m.ja }
      : { en: `HTTP ${status}`, ja: `HTTP ${status}` };
  return new ApiError(
    typeof o.code === 'string' ? o.code : `HTTP_${status}`,
    message,
    status,
    isObject(o.detail) ? o.detail : undefined,
  );
}
