/**
 * Authentication as a hook. Every route on the server — the loader's own and any
 * a mounted plugin adds — needs an operator's token unless its route config says
 * `public: true` (secure by default: a plugin that forgets stays closed). The hook
 * runs after the input is validated (so a malformed request is told what is wrong
 * with it, as before) and before the handler; the handler finds the operator in
 * `request.operator`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LoaderError } from '../errors.ts';
import type { Ctx, Session } from '../store/context.ts';
import { authenticate } from '../store/operators.ts';
import { csrfOk, sessionCookie } from './consoleSession.ts';
import { clientActor, looksLikeClientToken } from './clientAuth.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No operator token needed (login, health, the console's static files, a channel with its own auth). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The operator behind the bearer token; set on every route that is not public. */
    operator: Session | undefined;
    /** The bearer token itself (logout revokes it). */
    operatorToken: string;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer ([^\s]+)$/i.exec(h.trim());
  return m?.[1];
}

/** Installs the hook on `app` (the server's root: it covers every plugin). */
export function installAuth(app: FastifyInstance, ctx: Ctx): void {
  app.decorateRequest('operator', undefined);
  app.decorateRequest('operatorToken', '');
  app.addHook('preHandler', async (req) => {
    // Unknown URLs get their 404, not a 401.
    if (req.is404 || req.routeOptions.config.public === true) return;
    const fromHeader = bearer(req);
    // The console's browser sends its session as a cookie (http/consoleSession.ts);
    // a cookie comes with every request the browser makes, so a state change must
    // also carry the session's CSRF token.
    const cookie = fromHeader === undefined ? sessionCookie(req) : undefined;
    const token = fromHeader ?? cookie ?? '';
    // A business system's API client: its own tokens, its own few routes (http/clientAuth.ts).
    req.operator =
      fromHeader !== undefined && looksLikeClientToken(fromHeader)
        ? await clientActor(ctx, req, fromHeader)
        : await authenticate(ctx, token);
    req.operatorToken = token;
    if (cookie !== undefined && !csrfOk(req, cookie)) {
      throw new LoaderError('CSRF_REFUSED', {
        en: 'the request lacks the session’s CSRF token: reload the console',
        ja: 'CSRFトークンがありません。画面を再読み込みしてください',
      });
    }
  });
}

/** The operator of an authenticated request (throws UNAUTHENTICATED on a public route). */
export function operatorOf(req: FastifyRequest): Session {
  if (!req.operator) {
    throw new LoaderError('UNAUTHENTICATED', {
      en: 'log in first (missing, expired or revoked token)',
      ja: 'ログインしてください（トークンがないか期限切れです）',
    });
  }
  return req.operator;
}
