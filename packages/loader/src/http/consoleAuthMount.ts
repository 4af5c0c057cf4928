/**
 * The console's login and its authenticators, mounted through the seam under
 * /v1/console (schemas: contract/console.ts; tables: migrations/005; SQL:
 * store/consoleAuth.ts):
 *
 *   POST /login            password (rate limited per account and address); then
 *                          a session, or the WebAuthn step (`webauthn`: log in with
 *                          an authenticator; `enrol`: register one with the code an
 *                          administrator gave)
 *   POST /login/webauthn   the authenticator's answer (user verification required)
 *   POST /one-time         a one-time login link (`npm start`)
 *   GET  /session          who is logged in, and the CSRF token
 *   POST /logout
 *   GET  /operators/:id/authenticators                       (administrators)
 *   POST /operators/:id/authenticators/enrolment             {purpose: enrol|recovery}
 *   POST /operators/:id/authenticators/:credentialId/revoke
 *   POST /providers/:id/webauthn                             {required}
 *
 * A session is an HttpOnly SameSite=Strict cookie (http/consoleSession.ts) with
 * an idle timeout (CONSOLE_IDLE_MS) inside the absolute one (config.sessionTtlMs).
 * The relying party is the origin the browser reached (WebAuthn checks it; behind
 * a proxy the Host header must be the public one): localhost or HTTPS.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticatorTransportFuture,
} from '@simplewebauthn/server';
import { LoaderError } from '../errors.ts';
import { appendAudit, writeTransaction } from '../store/audit.ts';
import {
  consoleLoginBody,
  credentialParams,
  enrolmentBody,
  oneTimeLoginBody,
  requireWebauthnBody,
  webauthnFinishBody,
} from '../contract/console.ts';
import { idParams, providerParams } from '../contract/schemas.ts';
import type { Ctx } from '../store/context.ts';
import type { OperatorId, ProviderId } from '../domain/ids.ts';
import { authenticate, logout, openSession, verifyLogin } from '../store/operators.ts';
import {
  activeOperator,
  type ActiveOperator,
  credentialUsed,
  credentialsOf,
  issueEnrolment,
  listAuthenticators,
  newTicket,
  ONE_TIME_TTL_MS,
  openEnrolment,
  requiresWebauthn,
  revokeAuthenticator,
  saveCredential,
  setRequireWebauthn,
  takeTicket,
  webauthnRefused,
} from '../store/consoleAuth.ts';
import type { Mount } from './mount.ts';
import { parseInput } from './mountInput.ts';
import { LoginLimiter } from './loginLimiter.ts';
import {
  CONSOLE_IDLE_MS,
  clearSessionCookie,
  csrfTokenOf,
  setSessionCookie,
} from './consoleSession.ts';

const RP_NAME = 'myna-ap カードAP搭載システム';

/** The relying party as the browser sees it: the origin it reached us at. */
function relyingParty(req: FastifyRequest): { rpID: string; origin: string } {
  const origin = `${req.protocol}://${req.host}`;
  return { rpID: new URL(origin).hostname, origin };
}

async function operatorRow(ctx: Ctx, id: string): Promise<ActiveOperator> {
  const row = await activeOperator(ctx, id);
  if (!row) {
    throw new LoaderError('LOGIN_TICKET_INVALID', {
      en: 'this account can no longer log in',
      ja: 'このアカウントではログインできません',
    });
  }
  return row;
}

/** Opens the session, sets its cookie and answers what the console needs. */
async function loggedIn(
  ctx: Ctx,
  req: FastifyRequest,
  reply: FastifyReply,
  op: { id: string; providerId: string | null },
  how: string,
) {
  const { token, expiresAt } = await openSession(
    ctx,
    { id: op.id as OperatorId, providerId: op.providerId as ProviderId | null },
    { idleMs: CONSOLE_IDLE_MS, how },
  );
  setSessionCookie(req, reply, token, expiresAt, ctx.now());
  return {
    step: 'done' as const,
    ...(await sessionView(ctx, token)),
  };
}

async function sessionView(ctx: Ctx, token: string) {
  const s = await authenticate(ctx, token);
  return {
    session: { ...s, expiresAt: s.expiresAt.toISOString() },
    csrfToken: csrfTokenOf(token),
    idleTimeoutMs: CONSOLE_IDLE_MS,
  };
}

const transportsOf = (t: readonly string[]) => t as AuthenticatorTransportFuture[];

export function consoleAuthMount(limiter = new LoginLimiter()): Mount {
  return {
    name: 'console-auth',
    prefix: '/v1/console',
    async plugin(app, mount) {
      const ctx = mount.loader;

      app.post('/login', { config: { public: true } }, async (req, reply) => {
        const body = parseInput('body', consoleLoginBody, req.body);
        const gate = limiter.attempt(body.login, req.ip, ctx.now().getTime());
        if (!gate.ok) {
          await writeTransaction(ctx.db, (tx) =>
            appendAudit(
              tx,
              {
                actor: 'system',
                action: 'login.rate_limited',
                detail: { login: body.login.slice(0, 64), address: req.ip },
              },
              ctx.now(),
            ),
          );
          void reply.header('retry-after', String(Math.ceil(gate.retryAfterMs / 1000)));
          throw new LoaderError('LOGIN_RATE_LIMITED', {
            en: `too many login attempts; wait ${Math.ceil(gate.retryAfterMs / 60_000)} minute(s)`,
            ja: `ログインの試行が多すぎます。${Math.ceil(gate.retryAfterMs / 60_000)}分ほど待ってからお試しください`,
          });
        }
        const op = await verifyLogin(ctx, body.login, body.password);
        const { rpID } = relyingParty(req);
        const creds = await credentialsOf(ctx, op.id);
        if (body.enrolmentCode !== undefined) {
          const enrolment = await openEnrolment(ctx, op.id, body.enrolmentCode);
          const options = await generateRegistrationOptions({
            rpName: RP_NAME,
            rpID,
            userName: op.login,
            userDisplayName: op.displayName,
            attestationType: 'none',
            excludeCredentials: creds.map((c) => ({
              id: c.id,
              transports: transportsOf(c.transports),
            })),
            authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
          });
          const ticket = await newTicket(ctx, op.id, 'enrol', {
            challenge: options.challenge,
            enrolment: enrolment.hash,
          });
          return { step: 'enrol' as const, ticket, options };
        }
        if (creds.length > 0) {
          const options = await generateAuthenticationOptions({
            rpID,
            allowCredentials: creds.map((c) => ({
              id: c.id,
              transports: transportsOf(c.transports),
            })),
            userVerification: 'required',
          });
          const ticket = await newTicket(ctx, op.id, 'webauthn', { challenge: options.challenge });
          return { step: 'webauthn' as const, ticket, options };
        }
        if (await requiresWebauthn(ctx, op.providerId)) {
          throw new LoaderError('WEBAUTHN_ENROLMENT_NEEDED', {
            en: 'your provider requires an authenticator (fingerprint, face or security key): ask an administrator for an enrolment code',
            ja: '生体認証機器（指紋・顔・セキュリティキー）でのログインが必要です。管理者に登録コードを発行してもらってください',
          });
        }
        return loggedIn(ctx, req, reply, op, 'password');
      });

      app.post('/login/webauthn', { config: { public: true } }, async (req, reply) => {
        const body = parseInput('body', webauthnFinishBody, req.body);
        const ticket = await takeTicket(ctx, body.ticket, ['webauthn', 'enrol']);
        const row = await operatorRow(ctx, ticket.operatorId);
        const op = { id: row.id, providerId: row.provider_id };
        const { rpID, origin } = relyingParty(req);
        const refuse = async (why: string) => {
          await webauthnRefused(ctx, op, why);
          return new LoaderError('WEBAUTHN_FAILED', {
            en: `the authenticator's answer did not verify (${why}): try again`,
            ja: `生体認証機器の応答を確認できませんでした（${why}）。もう一度お試しください`,
          });
        };
        const response = body.credential as never;
        if (ticket.purpose === 'enrol') {
          let v;
          try {
            v = await verifyRegistrationResponse({
              response,
              expectedChallenge: ticket.challenge ?? '',
              expectedOrigin: origin,
              expectedRPID: rpID,
              requireUserVerification: true,
            });
          } catch (e) {
            throw await refuse((e as Error).message);
          }
          if (!v.verified || !v.registrationInfo) throw await refuse('not verified');
          const { credential, aaguid } = v.registrationInfo;
          await saveCredential(
            ctx,
            op,
            {
              id: credential.id,
              publicKey: credential.publicKey,
              counter: credential.counter,
              transports: credential.transports ?? [],
              aaguid,
              ...(body.nickname ? { nickname: body.nickname } : {}),
            },
            ticket.enrolment!,
          );
          return loggedIn(ctx, req, reply, op, 'webauthn');
        }
        const cred = (await credentialsOf(ctx, op.id)).find((c) => c.id === body.credential.id);
        if (!cred) throw await refuse('unknown or revoked authenticator');
        let v;
        try {
          v = await verifyAuthenticationResponse({
            response,
            expectedChallenge: ticket.challenge ?? '',
            expectedOrigin: origin,
            expectedRPID: rpID,
            requireUserVerification: true,
            credential: {
              id: cred.id,
              publicKey: new Uint8Array(cred.public_key),
              counter: Number(cred.sign_count),
              transports: transportsOf(cred.transports),
            },
          });
        } catch (e) {
          throw await refuse((e as Error).message);
        }
        if (!v.verified) throw await refuse('not verified');
        await credentialUsed(ctx, cred.id, v.authenticationInfo.newCounter);
        return loggedIn(ctx, req, reply, op, 'webauthn');
      });

      app.post('/one-time', { config: { public: true } }, async (req, reply) => {
        const body = parseInput('body', oneTimeLoginBody, req.body);
        const ticket = await takeTicket(ctx, body.ticket, ['one_time']);
        const row = await operatorRow(ctx, ticket.operatorId);
        return loggedIn(ctx, req, reply, { id: row.id, providerId: row.provider_id }, 'one_time');
      });

      app.get('/session', async (req) => sessionView(ctx, req.operatorToken));

      app.post('/logout', async (req, reply) => {
        await logout(ctx, mount.operatorOf(req), req.operatorToken);
        clearSessionCookie(req, reply);
        return { ok: true as const };
      });

      app.get('/operators/:id/authenticators', async (req) => {
        const p = parseInput('params', idParams, req.params);
        return listAuthenticators(ctx, mount.operatorOf(req), p.id);
      });
      app.post('/operators/:id/authenticators/enrolment', async (req, reply) => {
        const p = parseInput('params', idParams, req.params);
        const body = parseInput('body', enrolmentBody, req.body);
        const e = await issueEnrolment(ctx, mount.operatorOf(req), p.id, body.purpose, body.note);
        return reply.code(201).send(e);
      });
      app.post('/operators/:id/authenticators/:credentialId/revoke', async (req) => {
        const p = parseInput('params', credentialParams, req.params);
        await revokeAuthenticator(ctx, mount.operatorOf(req), p.id, p.credentialId);
        return { ok: true as const };
      });
      app.post('/providers/:id/webauthn', async (req) => {
        const p = parseInput('params', providerParams, req.params);
        const body = parseInput('body', requireWebauthnBody, req.body);
        return setRequireWebauthn(ctx, mount.operatorOf(req), p.id, body.required);
      });
    },
  };
}

/** A one-time login link's ticket for `operatorId` (the demo prints one). */
export async function oneTimeLogin(ctx: Ctx, operatorId: string): Promise<string> {
  return newTicket(ctx, operatorId, 'one_time', { ttlMs: ONE_TIME_TTL_MS });
}
