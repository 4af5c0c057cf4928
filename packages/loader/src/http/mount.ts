/**
 * The seam other packages mount on: a Fastify plugin, registered in its own
 * encapsulated context beside the loader's route groups, under a prefix. See
 * docs/server.md for route groups, static files and WebSocket endpoints.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Session } from '../store/context.ts';
import type { ApiCtx } from './route.ts';
import { operatorOf } from './auth.ts';

/** What a mounted plugin gets from the loader besides its Fastify instance. */
export interface MountContext {
  /** The loader's store context (database, config, keys, clock) and its card jobs. */
  readonly loader: ApiCtx;
  /** The operator of a request on a non-public route (UNAUTHENTICATED otherwise). */
  operatorOf(req: FastifyRequest): Session;
}

export interface Mount {
  /** For logs and errors, e.g. `console`, `terminal`. */
  readonly name: string;
  /** URL prefix, e.g. `/console` (routes of the plugin are relative to it). */
  readonly prefix?: string;
  /**
   * Every route of the plugin is public (static files, a channel that checks its
   * own credentials). Otherwise each route needs an operator token unless it says
   * `config: { public: true }`.
   */
  readonly public?: boolean;
  readonly plugin: (app: FastifyInstance, mount: MountContext) => Promise<void>;
}

export function mountContext(loader: ApiCtx): MountContext {
  return { loader, operatorOf };
}

/** Registers `m` on `app` in its own encapsulated context, under its prefix. */
export async function mount(app: FastifyInstance, m: Mount, seam: MountContext): Promise<void> {
  await app.register(
    async (child) => {
      if (m.public) {
        child.addHook('onRoute', (r) => {
          r.config = { ...r.config, public: true };
        });
      }
      await m.plugin(child, seam);
    },
    { ...(m.prefix ? { prefix: m.prefix } : {}) },
  );
}
