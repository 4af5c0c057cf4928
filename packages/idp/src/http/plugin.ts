/**
 * The identity platform's HTTP API, as a Fastify plugin (mounted by `myna idp
 * serve`, or on another server). Machine clients get a token at POST /token
 * (client credentials) and call the /v1 routes with it; each route needs one
 * scope.
 *
 *   POST /token                 client credentials grant (Basic or private_key_jwt)
 *   POST /v1/validate/ocsp      one certificate, OCSP 方式 (CRL when OCSP is down)   scope validate
 *   POST /v1/validate/crl       up to 1000 certificates, CRL 方式                    scope validate
 *   GET  /v1/validate/crls      the CRL indexes held (CA, entries, next update)     scope validate
 *   POST /v1/proof/challenges   a challenge for the holder's card to sign           scope proof
 *   POST /v1/proof/verify       the signed challenge → PPID                         scope proof
 *   POST /v1/ppid               a registered holder's PPID from a certificate        scope ppid
 *   POST /v1/ppid/relink        a renewed card without an issuer link rejoins its holder scope ppid
 *   POST /v1/touch/registrations  a PIN proof → registered for かざし利用           scope touch
 *   POST /v1/touch/registrations/withdraw  a PIN proof → no longer registered       scope touch
 *   POST /v1/touch              a touch at a declared site → PPID (identifiedBy touch) scope touch
 *   POST /v1/sign/transactions  a digest for the holder to sign (then the OIDC flow) scope sign
 *   GET  /v1/sign/transactions/:id   pending, or the platform's signed result        scope sign
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { langFromAcceptLanguage } from '@myna-ap/text';
import type { Db } from '@myna-ap/db';
import { IdpError } from '../errors.ts';
import type { Scope } from '../scopes.ts';
import { authenticateClient, grantClientCredentials } from '../clientAuth.ts';
import { checkOrigin, tokenGrant, type Client } from '../store/clients.ts';
import { createChallenge } from '../store/challenges.ts';
import { isChallenge } from '../proof/signedData.ts';
import { verifyProof } from '../proof/verify.ts';
import { identifyByTouch, registerTouch, withdrawTouch } from '../touch/touch.ts';
import { relinkHolder } from '../ppid/relink.ts';
import { createSignTransaction, findSignTransaction, toDigestInfo } from '../sign/transactions.ts';
import type { CertificateValidator } from '../validation/validator.ts';
import type { CrlStore } from '../validation/crlStore.ts';
import type { HolderKeys } from '../ppid/holders.ts';

export interface IdpContext {
  readonly db: Db;
  readonly validator: CertificateValidator;
  readonly crls: CrlStore;
  readonly holders: HolderKeys;
  /** Our public base URL (the audience of client assertions is `${issuer}/token` or it). */
  readonly issuer: string;
  readonly now?: () => Date;
}

/** Most certificates in one CRL 方式 call. */
export const MAX_BULK = 1000;
/** A JPKI certificate is ~1.5 KiB; this leaves room and refuses junk early. */
const MAX_CERT_BASE64 = 16 * 1024;

const base64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');

const schemas = {
  one: z.object({ certificate: base64(MAX_CERT_BASE64) }).strict(),
  bulk: z.object({ certificates: z.array(base64(MAX_CERT_BASE64)).min(1).max(MAX_BULK) }).strict(),
  challenge: z.object({ origin: z.string().max(512) }).strict(),
  relink: z
    .object({
      challenge: z.string().max(64),
      origin: z.string().max(512),
      certificate: base64(MAX_CERT_BASE64),
      signature: base64(1024),
      signCertificate: base64(MAX_CERT_BASE64),
      signSignature: base64(1024),
      oldSignCertificate: base64(MAX_CERT_BASE64),
    })
    .strict(),
  touch: z.object({ site: z.string().max(64), certificate: base64(MAX_CERT_BASE64) }).strict(),
  signTransaction: z
    .object({
      digest: base64(64).optional(),
      digestInfo: base64(128).optional(),
    })
    .strict(),
  proof: z
    .object({
      challenge: z.string().max(64),
      origin: z.string().max(512),
      certificate: base64(MAX_CERT_BASE64),
      signature: base64(1024),
    })
    .strict(),
};
/** A proof with, optionally, the 署名用 certificate and its signature (kept for a re-link). */
const proofWithSign = schemas.proof
  .extend({
    signCertificate: base64(MAX_CERT_BASE64).optional(),
    signSignature: base64(1024).optional(),
  })
  .strict();

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issues = r.error.issues
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
  throw new IdpError('BAD_REQUEST', {
    en: `the request is malformed: ${issues}`,
    ja: `リクエストの形式が正しくありません: ${issues}`,
  });
}

const der = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** The OAuth error name of our codes at the token endpoint (RFC 6749 §5.2). */
function oauthError(code: string): string {
  if (code.startsWith('CLIENT_AUTH')) return 'invalid_client';
  if (code === 'UNSUPPORTED_GRANT') return 'unsupported_grant_type';
  if (code === 'SCOPE_DENIED') return 'invalid_scope';
  return 'invalid_request';
}

/** Our errors as `{ code, message, text, detail? }` (OAuth names added at a token endpoint). */
export function idpErrorHandler(
  err: Error & { statusCode?: number },
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const lang = langFromAcceptLanguage(req.headers['accept-language']);
  if (err instanceof IdpError) {
    const body: Record<string, unknown> = {
      code: err.code,
      message: err.text[lang],
      text: err.text,
      ...(err.detail ? { detail: err.detail } : {}),
    };
    if (req.url === '/token' || req.url.endsWith('/token')) {
      body.error = oauthError(err.code);
      body.error_description = err.text.en;
    }
    if (err.status === 401) reply.header('www-authenticate', 'Bearer realm="myna-idp"');
    return reply.status(err.status).send(body);
  }
  if (err.statusCode && err.statusCode < 500) {
    const e = new IdpError('BAD_REQUEST', {
      en: `the request is malformed: ${err.message}`,
      ja: `リクエストの形式が正しくありません: ${err.message}`,
    });
    return reply.status(err.statusCode).send({ code: e.code, message: e.text[lang], text: e.text });
  }
  req.log.error(err);
  const e = new IdpError('INTERNAL');
  return reply.status(500).send({ code: e.code, message: e.text[lang], text: e.text });
}

export async function idpPlugin(app: FastifyInstance, ctx: IdpContext): Promise<void> {
  const now = () => ctx.now?.() ?? new Date();

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.setErrorHandler(idpErrorHandler);

  const grants = new WeakMap<FastifyRequest, { client: Client; scopes: readonly Scope[] }>();
  const needs =
    (scope: Scope) =>
    async (req: FastifyRequest): Promise<void> => {
      const m = /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(req.headers.authorization ?? '');
      if (!m) throw new IdpError('TOKEN_INVALID');
      const g = await tokenGrant(ctx.db, m[1]!, now());
      if (!g.scopes.includes(scope)) {
        throw new IdpError('SCOPE_DENIED', {
          en: `this token does not carry the scope ${scope}`,
          ja: `このトークンにはスコープ ${scope} がありません`,
        });
      }
      grants.set(req, g);
    };
  const clientOf = (req: FastifyRequest) => grants.get(req)!.client;

  app.post('/token', async (req: FastifyRequest, reply: FastifyReply) => {
    const form = (req.body ?? {}) as Record<string, string | undefined>;
    if (typeof form !== 'object') throw new IdpError('BAD_REQUEST');
    const client = await authenticateClient(
      ctx.db,
      { authorization: req.headers.authorization, form },
      [`${ctx.issuer}/token`, ctx.issuer],
      now(),
    );
    const t = await grantClientCredentials(ctx.db, client, form, now());
    reply.header('cache-control', 'no-store');
    return {
      access_token: t.accessToken,
      token_type: 'Bearer',
      expires_in: t.expiresIn,
      scope: t.scopes.join(' '),
    };
  });

  app.post('/v1/validate/ocsp', { preHandler: needs('validate') }, async (req) => {
    const { certificate } = parseBody(schemas.one, req.body);
    return ctx.validator.ocsp(der(certificate));
  });

  // Room for MAX_BULK certificates whatever the server's own limit is (a mount's is 64 KiB).
  const bulkLimit = MAX_BULK * 4 * 1024;
  app.post(
    '/v1/validate/crl',
    { preHandler: needs('validate'), bodyLimit: bulkLimit },
    async (req) => {
      const { certificates } = parseBody(schemas.bulk, req.body);
      return { results: certificates.map((c) => ctx.validator.crl(der(c))) };
    },
  );

  app.get('/v1/validate/crls', { preHandler: needs('validate') }, async () => ({
    crls: ctx.crls.status(),
  }));

  app.post('/v1/proof/challenges', { preHandler: needs('proof') }, async (req, reply) => {
    const { origin } = parseBody(schemas.challenge, req.body);
    const client = clientOf(req);
    if (!client.origins.includes(checkOrigin(origin))) {
      throw new IdpError('ORIGIN_NOT_ALLOWED', {
        en: `${origin} is not registered for client ${client.clientId}`,
        ja: `${origin} はクライアント ${client.clientId} に登録されていません`,
      });
    }
    const c = await createChallenge(ctx.db, { clientId: client.clientId }, origin, now());
    reply.status(201);
    return { challenge: c.challenge, origin, expiresAt: c.expiresAt.toISOString() };
  });

  app.post('/v1/proof/verify', { preHandler: needs('proof') }, async (req) => {
    const body = parseBody(proofWithSign, req.body);
    if (!isChallenge(body.challenge)) throw new IdpError('CHALLENGE_UNKNOWN');
    if ((body.signCertificate === undefined) !== (body.signSignature === undefined)) {
      throw new IdpError('SIGN_CERT_REQUIRED');
    }
    return verifyProof(
      { db: ctx.db, validator: ctx.validator, holders: ctx.holders, now },
      clientOf(req),
      {
        challenge: body.challenge,
        origin: body.origin,
        certificate: der(body.certificate),
        signature: der(body.signature),
      },
      body.signCertificate && body.signSignature
        ? { signCertificate: body.signCertificate, signSignature: body.signSignature }
        : undefined,
    );
  });

  app.post('/v1/ppid/relink', { preHandler: needs('ppid') }, async (req) => {
    const b = parseBody(schemas.relink, req.body);
    if (!isChallenge(b.challenge)) throw new IdpError('CHALLENGE_UNKNOWN');
    return relinkHolder(
      { db: ctx.db, validator: ctx.validator, holders: ctx.holders, now },
      clientOf(req),
      {
        challenge: b.challenge,
        origin: b.origin,
        certificate: der(b.certificate),
        signature: der(b.signature),
        signCertificate: b.signCertificate,
        signSignature: b.signSignature,
        oldSignCertificate: der(b.oldSignCertificate),
      },
    );
  });

  // かざし利用: registration and withdrawal need a PIN proof (a challenge from /v1/proof/challenges).
  const touchProof = (req: FastifyRequest) => {
    const body = parseBody(schemas.proof, req.body);
    if (!isChallenge(body.challenge)) throw new IdpError('CHALLENGE_UNKNOWN');
    return {
      challenge: body.challenge,
      origin: body.origin,
      certificate: der(body.certificate),
      signature: der(body.signature),
    };
  };
  const proofDeps = () => ({ db: ctx.db, validator: ctx.validator, holders: ctx.holders, now });

  app.post('/v1/touch/registrations', { preHandler: needs('touch') }, async (req, reply) => {
    const r = await registerTouch(proofDeps(), clientOf(req), touchProof(req));
    reply.status(r.created ? 201 : 200);
    return r;
  });

  app.post('/v1/touch/registrations/withdraw', { preHandler: needs('touch') }, async (req) =>
    withdrawTouch(proofDeps(), clientOf(req), touchProof(req)),
  );

  app.post('/v1/touch', { preHandler: needs('touch') }, async (req) => {
    const { site, certificate } = parseBody(schemas.touch, req.body);
    return identifyByTouch(ctx, clientOf(req), site, der(certificate));
  });

  app.post('/v1/sign/transactions', { preHandler: needs('sign') }, async (req, reply) => {
    const b = parseBody(schemas.signTransaction, req.body);
    const digestInfo = toDigestInfo({
      ...(b.digest ? { digest: der(b.digest) } : {}),
      ...(b.digestInfo ? { digestInfo: der(b.digestInfo) } : {}),
    });
    const client = clientOf(req);
    const t = await createSignTransaction(ctx.db, client.clientId, digestInfo, now());
    reply.status(201);
    return {
      id: t.id,
      expiresAt: t.expiresAt.toISOString(),
      // What to add to the authorization request the holder is sent through.
      authorization: { scope: 'openid sign', sign_transaction: t.id },
    };
  });

  app.get('/v1/sign/transactions/:id', { preHandler: needs('sign') }, async (req) => {
    const { id } = req.params as { id: string };
    const t = await findSignTransaction(ctx.db, id, clientOf(req).clientId);
    if (t.result) return { id, status: 'signed', result: t.result };
    return { id, status: t.expiresAt <= now() ? 'expired' : 'pending' };
  });

  app.post('/v1/ppid', { preHandler: needs('ppid') }, async (req) => {
    const { certificate } = parseBody(schemas.one, req.body);
    const cert = der(certificate);
    const kind = ctx.validator.classify(cert);
    if (kind && kind.use !== 'auth') throw new IdpError('CERT_NOT_AUTH');
    const validation = await ctx.validator.ocsp(cert);
    if (validation.result.status !== 'valid') {
      throw new IdpError(
        'CERT_INVALID',
        {
          en: `the certificate is not valid: ${validation.reason.en}`,
          ja: `電子証明書が有効ではありません: ${validation.reason.ja}`,
        },
        { validation },
      );
    }
    const holderId = await ctx.holders.holderOf(ctx.db, cert);
    if (!holderId) throw new IdpError('HOLDER_NOT_LINKED');
    return {
      ppid: ctx.holders.ppid(clientOf(req).sector, holderId),
      identifiedBy: 'certificate',
      validation,
    };
  });
}
