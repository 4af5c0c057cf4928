/**
 * Routes of API clients (contract/clients.ts): administrators create, list and
 * revoke them; a client exchanges its secret for a token at `POST /v1/oauth/token`.
 */
import { route, ok, type Route } from './route.ts';
import { LoaderError } from '../errors.ts';
import type { ProviderId } from '../domain/ids.ts';
import { clientCredentials } from '../domain/apiClient.ts';
import { JWT_BEARER, claimedIssuer } from '../domain/clientAssertion.ts';
import { appendAudit, writeTransaction } from '../store/audit.ts';
import type { LimitRule } from './loginLimiter.ts';
import {
  createApiClient,
  issueClientToken,
  issueClientTokenByAssertion,
  listApiClients,
  revokeApiClient,
} from '../store/apiClients.ts';

export const clientRoutes: readonly Route[] = [
  route('createApiClient', async (ctx, { session, body }) =>
    ok(
      await createApiClient(ctx, session, {
        providerId: body.providerId as ProviderId,
        name: body.name,
        ...(body.publicKey === undefined ? {} : { publicKey: body.publicKey }),
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

/**
 * Token requests per client and per address over 5 minutes. A business system asks
 * once per 15-minute token (a few more when it retries); a guesser or a runaway
 * loop asks far more, and each refused request costs an audit row.
 */
export const TOKEN_LIMITS = {
  account: { max: 20, windowMs: 5 * 60_000 },
  address: { max: 60, windowMs: 5 * 60_000 },
} as const satisfies Record<string, LimitRule>;

const TOKEN_PATH = '/v1/oauth/token';

/**
 * The token endpoint, public: the client proves itself with its secret or a JWT
 * signed with its key. In a group of its own, the only one that reads form bodies.
 */
export const oauthRoutes: readonly Route[] = [
  route('clientToken', async (ctx, { body, authorization, address, origin }) => {
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
    const byAssertion =
      body.client_assertion !== undefined || body.client_assertion_type !== undefined;
    const cred = byAssertion ? undefined : clientCredentials(authorization, body);
    // Counted before any check, per the client it claims to be and per address.
    const claimed = byAssertion
      ? (claimedIssuer(body.client_assertion ?? '') ?? '')
      : cred && cred !== 'both'
        ? cred.id
        : '';
    const gate = ctx.tokenLimiter.attempt(claimed, address, ctx.now().getTime());
    if (!gate.ok) {
      await writeTransaction(ctx.db, (tx) =>
        appendAudit(
          tx,
          {
            actor: 'system',
            action: 'client.token_rate_limited',
            detail: { clientId: claimed.slice(0, 64), address },
          },
          ctx.now(),
        ),
      );
      const s = Math.ceil(gate.retryAfterMs / 1000);
      throw new LoaderError(
        'CLIENT_RATE_LIMITED',
        {
          en: `too many token requests; ask again in ${s} s`,
          ja: `トークン要求が多すぎます。${s} 秒後に再度お試しください`,
        },
        429,
        { retryAfterS: s },
      );
    }
    if (byAssertion) {
      if (
        body.client_assertion_type !== JWT_BEARER ||
        body.client_assertion === undefined ||
        authorization !== undefined ||
        body.client_secret !== undefined ||
        (body.client_id !== undefined && body.client_id !== claimed)
      ) {
        throw new LoaderError(
          'CLIENT_AUTH_FAILED',
          {
            en: `a JWT assertion comes alone: client_assertion_type=${JWT_BEARER} and client_assertion, no secret, no HTTP Basic, and client_id (if given) the assertion's iss`,
            ja: `JWTアサーションは単独で送ってください: client_assertion_type=${JWT_BEARER} と client_assertion（シークレット・HTTP Basic は不可、client_id を付けるならアサーションの iss と同じ値）`,
          },
          401,
        );
      }
      const t = await issueClientTokenByAssertion(ctx, body.client_assertion, origin + TOKEN_PATH);
      return tokenAnswer(t);
    }
    if (cred === undefined || cred === 'both') {
      throw new LoaderError(
        'CLIENT_AUTH_FAILED',
        cred === 'both'
          ? {
              en: 'give the client’s id and secret once: HTTP Basic or the body, not both',
              ja: 'クライアントIDとシークレットはHTTP Basicか本文のどちらか一方で送ってください',
            }
          : {
              en: 'give the client’s id and secret (HTTP Basic or client_id and client_secret), or a client_assertion',
              ja: 'クライアントIDとシークレット（HTTP Basic または client_id と client_secret）、または client_assertion を送ってください',
            },
        401,
      );
    }
    return tokenAnswer(await issueClientToken(ctx, cred.id, cred.secret));
  }),
];

function tokenAnswer(t: { token: string; expiresInS: number }) {
  return {
    status: 200,
    // RFC 6749 §5.1: a token answer is never cached.
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    body: { access_token: t.token, token_type: 'Bearer' as const, expires_in: t.expiresInS },
  };
}
