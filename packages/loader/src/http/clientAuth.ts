/**
 * What an API client's token may reach: the status feed, the notices and its
 * provider's key packages — the operations a business system needs, nothing else
 * (no load, no operators, no console, no mounted plugin). The auth hook
 * (http/auth.ts) refuses every other route with CLIENT_ROUTE_FORBIDDEN.
 */
import type { FastifyRequest } from 'fastify';
import { LoaderError } from '../errors.ts';
import type { OperationName } from '../contract/api.ts';
import type { Ctx, Session } from '../store/context.ts';
import { authenticateClient } from '../store/apiClients.ts';
import { looksLikeClientToken } from '../domain/apiClient.ts';

export const CLIENT_OPERATIONS: ReadonlySet<OperationName> = new Set<OperationName>([
  'feed',
  'dailyFeed',
  'dailyFeedSigned',
  'notices',
  'keyPackage',
]);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An API client's token may call this route (set from CLIENT_OPERATIONS only). */
    client?: boolean;
  }
}

export { looksLikeClientToken };

/** The actor of a request that carries a client token, after the route check. */
export async function clientActor(ctx: Ctx, req: FastifyRequest, token: string): Promise<Session> {
  const actor = await authenticateClient(ctx, token);
  if (req.routeOptions.config.client !== true) {
    throw new LoaderError(
      'CLIENT_ROUTE_FORBIDDEN',
      {
        en: `an API client token reaches only the status feed, the notices and its provider’s key packages, not ${req.method} ${req.routeOptions.url ?? req.url}`,
        ja: `APIクライアントのトークンで使えるのはステータス情報・通知・自社の鍵パッケージのみです（${req.method} ${req.routeOptions.url ?? req.url} は使えません）`,
      },
      403,
    );
  }
  return actor;
}
