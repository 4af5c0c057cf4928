/**
 * The provider on Fastify, and the holder's part of a sign-in (the platform's own
 * sign-in page talks to these; the holder's bridge does the card work):
 *
 *   GET  {mount}/interaction/:uid        what the client asks for, and a challenge
 *                                         bound to the platform's own origin
 *   POST {mount}/interaction/:uid/proof  the card's signature (利用者証明用, after the
 *                                         4-digit PIN) and, when 4 info are asked for,
 *                                         the 署名用 certificate with its key's signature
 *                                         → the redirect back into the flow
 *
 * Posting the proof is the holder's consent to the scopes shown by the GET.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Db } from '@myna-ap/db';
import { IdpError } from '../errors.ts';
import { idpErrorHandler, parseBody } from '../http/plugin.ts';
import { createChallenge } from '../store/challenges.ts';
import { verifyProofHolder } from '../proof/verify.ts';
import type { CertificateValidator } from '../validation/validator.ts';
import type { HolderKeys } from '../ppid/holders.ts';
import { ACR_AAL3, FOUR_INFO_SCOPES, OIDC_SCOPES } from './provider.ts';
import { fourInfoClaims, saveHolderClaims } from './claims.ts';
import { signCertificateInfo } from '../proof/signCertificate.ts';
import type { JWK } from 'jose';
import {
  completeSignTransaction,
  pendingSignTransaction,
  signatureMatches,
} from '../sign/transactions.ts';
import { DEFAULT_BRIDGE_URL, SIGN_IN_SCRIPT, signInCsp, signInHtml } from './signInPage.ts';

export interface OidcPluginOptions {
  readonly provider: Provider;
  readonly db: Db;
  readonly validator: CertificateValidator;
  readonly holders: HolderKeys;
  readonly now?: () => Date;
  /**
   * Where the provider's routes are in the Fastify context this plugin is
   * registered in: the issuer's path (default) at a server's root, or '' when it
   * is registered under a prefix that already is that path (a mount).
   */
  readonly routeBase?: string;
  /** The holder's bridge the sign-in page talks to (default DEFAULT_BRIDGE_URL). */
  readonly bridgeUrl?: string;
  /** The key sign results are signed with (scope sign): the provider's ID token key. */
  readonly resultKey?: JWK;
}

/** A browser asking for the page, not the page's own script asking for JSON. */
const wantsHtml = (accept: string | undefined) => {
  const a = accept ?? '';
  return a.includes('text/html') && !a.startsWith('application/json');
};

const b64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');
const proofBody = z
  .object({
    challenge: z.string().max(64),
    origin: z.string().max(512),
    certificate: b64(16 * 1024),
    signature: b64(1024),
    signCertificate: b64(16 * 1024).optional(),
    signSignature: b64(1024).optional(),
    /** Scope sign: the 署名用 key's signature of the transaction's DigestInfo. */
    transactionSignature: b64(1024).optional(),
  })
  .strict();
const der = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** The scopes asked for that we serve (openid first). */
function scopesOf(params: Record<string, unknown>): string[] {
  const asked = String(params['scope'] ?? '').split(' ');
  return OIDC_SCOPES.filter((s) => asked.includes(s));
}

export async function oidcPlugin(app: FastifyInstance, o: OidcPluginOptions): Promise<void> {
  const issuer = new URL(o.provider.issuer);
  /** The issuer's path as the request URL has it (the provider sees URLs below it). */
  const issuerPath = issuer.pathname.replace(/\/$/, '');
  const mount = o.routeBase ?? issuerPath;
  /** The origin the holder's card signs for at our own sign-in page. */
  const platformOrigin = issuer.origin;
  const now = () => o.now?.() ?? new Date();

  app.setErrorHandler(idpErrorHandler);

  async function details(req: FastifyRequest, reply: FastifyReply) {
    try {
      return await o.provider.interactionDetails(req.raw, reply.raw);
    } catch {
      throw new IdpError('INTERACTION_UNKNOWN');
    }
  }

  const bridgeUrl = o.bridgeUrl ?? DEFAULT_BRIDGE_URL;
  const scriptPath = `${issuerPath}/signin.js`;
  app.get(`${mount}/signin.js`, async (_req, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(SIGN_IN_SCRIPT),
  );

  app.get(`${mount}/interaction/:uid`, async (req, reply) => {
    const d = await details(req, reply);
    if (wantsHtml(req.headers.accept)) {
      // The page; it asks for the JSON below itself (a challenge is made then).
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', signInCsp(bridgeUrl))
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(signInHtml({ bridgeUrl, scriptPath }));
    }
    const client = await o.provider.Client.find(String(d.params['client_id']));
    const scopes = scopesOf(d.params);
    // Scope sign: what the holder is asked to sign (the client's own, pending transaction).
    const signing = scopes.includes('sign');
    const txId = String(d.params['sign_transaction'] ?? '');
    if (signing && !txId) throw new IdpError('SIGN_TRANSACTION_REQUIRED');
    const tx = signing
      ? await pendingSignTransaction(o.db, txId, String(d.params['client_id']), now())
      : undefined;
    const c = await createChallenge(o.db, { interaction: d.uid }, platformOrigin, now());
    reply.header('cache-control', 'no-store');
    return {
      ...(tx
        ? {
            sign: {
              transaction: txId,
              digestInfo: tx.digestInfo.toString('base64'),
              // The bridge signs a SHA-256 digest as its DigestInfo.
              digest: tx.digestInfo.subarray(-32).toString('base64'),
              expiresAt: tx.expiresAt.toISOString(),
            },
          }
        : {}),
      uid: d.uid,
      client: { id: client?.clientId, name: client?.clientName },
      scopes,
      needsSignCertificate:
        signing || scopes.some((s) => (FOUR_INFO_SCOPES as readonly string[]).includes(s)),
      challenge: c.challenge,
      origin: platformOrigin,
      expiresAt: c.expiresAt.toISOString(),
    };
  });

  app.post(`${mount}/interaction/:uid/proof`, async (req, reply) => {
    const d = await details(req, reply);
    const body = parseBody(proofBody, req.body);
    const acrValues = String(d.params['acr_values'] ?? '').split(' ');
    const r = await verifyProofHolder(
      { db: o.db, validator: o.validator, holders: o.holders, now },
      { interaction: d.uid },
      {
        challenge: body.challenge,
        origin: body.origin,
        certificate: der(body.certificate),
        signature: der(body.signature),
      },
      acrValues.includes('crl') ? 'crl' : 'ocsp',
    );
    const scopes = scopesOf(d.params);
    const fourInfo = scopes.filter((s) => (FOUR_INFO_SCOPES as readonly string[]).includes(s));
    const signing = scopes.includes('sign');
    const signCert =
      fourInfo.length || signing
        ? await signCertificateInfo(o.validator, body, body.origin, body.challenge)
        : undefined;
    const claims =
      fourInfo.length && signCert ? fourInfoClaims(signCert.info, fourInfo) : undefined;
    // The holder's 署名用 certificate, kept by keyed hash: a re-link after a renewal finds them by it.
    if (signCert) await o.holders.recordSignCertificate(o.db, signCert.cert, r.holderId);
    const clientIdOfFlow = String(d.params['client_id']);
    if (signing && signCert) {
      // The holder's approval of the client's transaction: the 署名用 key's signature of its DigestInfo.
      const id = String(d.params['sign_transaction'] ?? '');
      if (!id) throw new IdpError('SIGN_TRANSACTION_REQUIRED');
      const t = await pendingSignTransaction(o.db, id, clientIdOfFlow, now());
      if (!body.transactionSignature) throw new IdpError('SIGN_SIGNATURE_MISMATCH');
      const signature = der(body.transactionSignature);
      if (!signatureMatches(signCert.leaf, t.digestInfo, signature)) {
        throw new IdpError('SIGN_SIGNATURE_MISMATCH');
      }
      if (!o.resultKey) throw new IdpError('INTERNAL');
      await completeSignTransaction(
        o.db,
        { issuer: o.provider.issuer, key: o.resultKey, clientId: clientIdOfFlow, now: now() },
        {
          transaction: id,
          digestInfo: t.digestInfo,
          signature,
          certificate: signCert.cert,
          validation: signCert.validation,
        },
      );
    }

    const clientId = clientIdOfFlow;
    const accountId = r.holderId.toString('hex');
    const grant = new o.provider.Grant({ accountId, clientId });
    grant.addOIDCScope(scopes.join(' '));
    const grantId = await grant.save();
    if (claims) await saveHolderClaims(o.db, grantId, claims, 600);
    const redirectTo = await o.provider.interactionResult(
      req.raw,
      reply.raw,
      { login: { accountId, acr: ACR_AAL3, amr: ['hwk', 'pin'] }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return { redirectTo, validation: r.validation.method };
  });

  // Everything else under the mount is the provider's own (Koa): the body is left
  // unread for it, and the path is given as seen from the mount.
  const callback = o.provider.callback();
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    const handle = (req: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      const url = req.raw.url ?? '/';
      Object.assign(req.raw, { originalUrl: url });
      req.raw.url = url.slice(issuerPath.length) || '/';
      void callback(req.raw, reply.raw);
    };
    raw.all(`${mount}/*`, handle);
  });
}
