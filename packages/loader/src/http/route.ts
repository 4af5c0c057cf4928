/**
 * How an API route is declared: zod schemas for params, query and body (these
 * validate every input AND generate /openapi.json), the action it needs, and a
 * handler that gets parsed input only.
 */
import type { z } from 'zod';
import type { Ctx, Session } from '../store/context.ts';
import type { CardJobs } from '../cardops/jobs.ts';

/** What a handler gets: the store context and the server's running card jobs. */
export interface ApiCtx extends Ctx {
  readonly jobs: CardJobs;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** Present on routes with `auth: true`. */
  readonly session: Session;
  readonly token: string;
}

export interface RouteResult {
  readonly status?: number;
  readonly body: unknown;
  /** Extra response headers (e.g. `content-type: text/csv` for a CSV answer). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  readonly method: 'GET' | 'POST';
  /** Fastify style: `/v1/providers/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: boolean;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Documentation of the success body. */
  readonly response?: z.ZodType;
  readonly status?: number;
  handler(ctx: ApiCtx, input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<RouteResult>;
}

/** Keeps the schema types flowing into the handler. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  r: Route<P, Q, B>,
): Route {
  return r as unknown as Route;
}
