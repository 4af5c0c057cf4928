/**
 * Routes of API clients (contract/clients.ts): administrators create, list and
 * revoke them; a client exchanges its secret for a token at `POST /v1/oauth/token`.
 */
import { route, ok, type Route } from './route.ts';
import { LoaderError } from '../errors.ts';
import type { ProviderId } from '../domain/ids.ts';
import { clientCredentials } from '../domain/apiClient.ts';
import {
  createApiClient,
  issueClientToken,
  listApiClients,
  revokeApiClient,
} from '../store/apiClients.ts';

export const clientRoutes: readonly Route[] = [
  route('createApiClient', async (ctx, { session, body }) =>
    ok(
      await createApiClient(ctx, session, {
        providerId: body.providerId as ProviderId,
        name: body.name,
      }),
      201,
    ),
  ),
  route('listApiClients', async (ctx, { session, query }) =>
    ok(await listApiClients(ctx, session, query.providerId)),
  ),
  route('revokeApiClient', async (ctx, { session, params }) =>
    ok(await revokeApiClient(ctx, session, params.id)),
  ),
];

/** The token endpoint, public: the client proves itself with its secret. In a group of its own, the only one that reads form bodies. */
export const oauthRoutes: readonly Route[] = [
  route('clientToken', async (ctx, { body, authorization }) => {
    if (body.grant_type !== 'client_credentials') {
      throw new LoaderError(
        'UNSUPPORTED_GRANT_TYPE',
        {
          en: `grant_type ${body.grant_type.slice(0, 40)} is not supported: use client_credentials`,
          ja: `grant_type ${body.grant_type.slice(0, 40)} は使用できません。client_credentials を指定してください`,
        },
        400,
      );
    }
    const cred = clientCredentials(authorization, body);
    if (cred === undefined || cred === 'both') {
      throw new LoaderError(
        'CLIENT_AUTH_FAILED',
        cred === 'both'
          ? {
              en: 'give the client’s id and secret once: HTTP Basic or the body, not both',
              ja: 'クライアントIDとシークレットはHTTP Basicか本文のどちらか一方で送ってください',
            }
          : {
              en: 'give the client’s id and secret (HTTP Basic or client_id and client_secret)',
              ja: 'クライアントIDとシークレットを送ってください（HTTP Basic または client_id と client_secret）',
            },
        401,
      );
    }
    const t = await issueClientToken(ctx, cred.id, cred.secret);
    return {
      status: 200,
      // RFC 6749 §5.1: a token answer is never cached.
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      body: { access_token: t.token, token_type: 'Bearer' as const, expires_in: t.expiresInS },
    };
  }),
];
