/**
 * The signature API (scope `sign`). A client with a client-credentials token
 * creates a transaction with what is to be signed — a SHA-256 digest, or its
 * DigestInfo — and sends the holder through the OIDC flow with scope `sign` and
 * `sign_transaction=<id>`. The holder approves on the platform's page with the
 * 署名用 password (the bridge and the card sign; the server never sees the
 * password); the platform checks the signature against the 署名用 certificate,
 * validates that certificate, and keeps the result for that client.
 *
 * The result is a JWT signed by the platform (its ID token key, published at the
 * OIDC jwks_uri), given over TLS to the authenticated client only — not a JWE.
 * Why: the client already authenticates and the channel is already encrypted;
 * what it needs beyond that is evidence it can keep and show a third party that
 * the platform checked this signature and this certificate at this time, which a
 * signature gives and encryption does not; and a JWE would make every client
 * register and rotate an encryption key. The signature and certificate inside
 * verify on their own (openssl, any PKCS#1 v1.5 verifier).
 */
import { createHash, publicDecrypt, constants, randomBytes, X509Certificate } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { Queryable } from '@myna-ap/db';
import { IdpError } from '../errors.ts';

/** How long a holder has to approve. */
export const SIGN_TRANSACTION_TTL_MS = 10 * 60 * 1000;

/** DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1). */
const SHA256_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** The DigestInfo to be signed: from a 32-byte digest, or a SHA-256 DigestInfo as given. */
export function toDigestInfo(input: { digest?: Uint8Array; digestInfo?: Uint8Array }): Buffer {
  if (input.digest && !input.digestInfo) {
    if (input.digest.length !== 32) {
      throw new IdpError('SIGN_DIGEST_INVALID', {
        en: `a SHA-256 digest has 32 bytes, not ${input.digest.length}`,
        ja: `SHA-256 のダイジェストは32バイトです（${input.digest.length}バイトでした）`,
      });
    }
    return Buffer.concat([SHA256_PREFIX, input.digest]);
  }
  if (input.digestInfo && !input.digest) {
    const di = Buffer.from(input.digestInfo);
    if (
      di.length !== SHA256_PREFIX.length + 32 ||
      !di.subarray(0, SHA256_PREFIX.length).equals(SHA256_PREFIX)
    ) {
      throw new IdpError('SIGN_DIGEST_INVALID', {
        en: 'the DigestInfo is not a SHA-256 DigestInfo (DER, RFC 8017)',
        ja: 'DigestInfo が SHA-256 の DigestInfo（DER、RFC 8017）ではありません',
      });
    }
    return di;
  }
  throw new IdpError('SIGN_DIGEST_INVALID');
}

export async function createSignTransaction(
  db: Queryable,
  clientId: string,
  digestInfo: Uint8Array,
  now = new Date(),
): Promise<{ id: string; expiresAt: Date }> {
  const id = randomBytes(24).toString('base64url');
  const expiresAt = new Date(now.getTime() + SIGN_TRANSACTION_TTL_MS);
  await db.query(
    `INSERT INTO idp_sign_transactions (id, client_id, digest_info, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [id, clientId, Buffer.from(digestInfo), now, expiresAt],
  );
  return { id, expiresAt };
}

interface Row {
  client_id: string;
  digest_info: Uint8Array;
  expires_at: Date;
  signed_at: Date | null;
  result_jwt: string | null;
}

/** A transaction as its client (or the flow it belongs to) may see it; others get SIGN_TRANSACTION_UNKNOWN. */
export async function findSignTransaction(
  db: Queryable,
  id: string,
  clientId: string,
): Promise<{
  digestInfo: Buffer;
  expiresAt: Date;
  signedAt: Date | undefined;
  result: string | undefined;
}> {
  if (!/^[A-Za-z0-9_-]{22,64}$/.test(id)) throw new IdpError('SIGN_TRANSACTION_UNKNOWN');
  const { rows } = await db.query<Row>(
    'SELECT client_id, digest_info, expires_at, signed_at, result_jwt FROM idp_sign_transactions WHERE id = $1',
    [id],
  );
  const r = rows[0];
  // Another client's transaction is not told apart from none.
  if (!r || r.client_id !== clientId) throw new IdpError('SIGN_TRANSACTION_UNKNOWN');
  return {
    digestInfo: Buffer.from(r.digest_info),
    expiresAt: new Date(r.expires_at),
    signedAt: r.signed_at ? new Date(r.signed_at) : undefined,
    result: r.result_jwt ?? undefined,
  };
}

/** The digest the holder's page shows and has the card sign (pending and in time only). */
export async function pendingSignTransaction(
  db: Queryable,
  id: string,
  clientId: string,
  now: Date,
) {
  const t = await findSignTransaction(db, id, clientId);
  if (t.signedAt) throw new IdpError('SIGN_TRANSACTION_DONE');
  if (t.expiresAt <= now) throw new IdpError('SIGN_TRANSACTION_EXPIRED');
  return t;
}

/** True when `signature` is the 署名用 key's PKCS#1 v1.5 signature of exactly `digestInfo`. */
export function signatureMatches(
  cert: X509Certificate,
  digestInfo: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const recovered = publicDecrypt(
      { key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING },
      signature,
    );
    return recovered.equals(Buffer.from(digestInfo));
  } catch {
    return false;
  }
}

export interface SignResult {
  readonly transaction: string;
  readonly digestInfo: Uint8Array;
  readonly signature: Uint8Array;
  readonly certificate: Uint8Array;
  readonly validation: unknown;
}

/** The platform's signed JWT of a result, for `clientId`; stored once (a second approval loses). */
export async function completeSignTransaction(
  db: Queryable,
  o: { issuer: string; key: JWK; clientId: string; now: Date },
  r: SignResult,
): Promise<string> {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const key = await importJWK(o.key, o.key.alg);
  const jwt = await new SignJWT({
    txn: r.transaction,
    digest_info: b64(r.digestInfo),
    signature: b64(r.signature),
    certificate: b64(r.certificate),
    certificate_sha256: createHash('sha256').update(r.certificate).digest('hex'),
    validation: r.validation,
  })
    .setProtectedHeader({
      alg: o.key.alg!,
      typ: 'sign-result+jwt',
      ...(o.key.kid ? { kid: o.key.kid } : {}),
    })
    .setIssuer(o.issuer)
    .setAudience(o.clientId)
    .setIssuedAt(Math.floor(o.now.getTime() / 1000))
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key);
  const { rowCount } = await db.query(
    `UPDATE idp_sign_transactions SET signed_at = $2, result_jwt = $3
      WHERE id = $1 AND client_id = $4 AND signed_at IS NULL`,
    [r.transaction, o.now, jwt, o.clientId],
  );
  if (!rowCount) throw new IdpError('SIGN_TRANSACTION_DONE');
  return jwt;
}
