/**
 * How an API route is declared: an operation of the contract (method, path,
 * zod schemas of params, query, body and answer — these validate every input,
 * type the client and make /openapi.json) and a handler that gets parsed input.
 */
import type { Ctx, Session } from '../store/context.ts';
import type { CardJobs } from '../cardops/jobs.ts';
import type { LoginLimiter } from './loginLimiter.ts';
import type { Operation, OperationName, OutputOf, ParsedOf } from '../contract/api.ts';
import { API } from '../contract/api.ts';

/** What a handler gets: the store context and the server's running card jobs. */
export interface ApiCtx extends Ctx {
  readonly jobs: CardJobs;
  /** Token requests counted per client and per address (http/clientRoutes.ts). */
  readonly tokenLimiter: LoginLimiter;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The operator behind the token (routes with `auth: true`; see http/auth.ts). */
  readonly session: Session;
  readonly token: string;
  /** The request's Authorization header (the token endpoint reads HTTP Basic from it). */
  readonly authorization: string | undefined;
  /** The caller's address (Fastify's req.ip). */
  readonly address: string;
  /** This server as the caller named it, `http(s)://host[:port]` (the JWT assertions' audience). */
  readonly origin: string;
}

export interface RouteResult<T = unknown> {
  readonly status?: number;
  readonly body: T;
  /**
   * Extra response headers. With a `content-type` other than JSON (e.g. `text/csv`)
   * the body is sent as it is and is not the operation's JSON answer.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A mounted operation: the contract's entry and its handler. */
export interface Route extends Operation {
  readonly name: string;
  handler(ctx: ApiCtx, input: RouteInput<unknown, unknown, unknown>): Promise<RouteResult>;
}

type Handler<N extends OperationName> = (
  ctx: ApiCtx,
  input: RouteInput<ParsedOf<N>['params'], ParsedOf<N>['query'], ParsedOf<N>['body']>,
) => Promise<RouteResult<Answer<OutputOf<N>>> | RouteResult<string>>;

/** The answer as handlers hold it: the same shape, read-only at every depth. */
export type Answer<T> = T extends (infer E)[]
  ? readonly Answer<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Answer<T[K]> }
    : T;

/**
 * The route of contract operation `name`. The handler's answer is typed by the
 * operation's response schema (z.input: what the server may send before the
 * client parses it).
 */
export function route<N extends OperationName>(name: N, handler: Handler<N>): Route {
  return { ...(API[name] as Operation), name, handler: handler as Route['handler'] };
}

/** A success answer (status default 200). */
export function ok<T>(body: T, status = 200): RouteResult<T> {
  return { status, body };
}
