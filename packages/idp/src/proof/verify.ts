/**
 * Verifies an electronic user proof: the challenge is this client's, unused and
 * live (and is used up now, whatever follows); the origin is the one the
 * challenge was issued for; the certificate is a 利用者証明用 one of a trusted CA;
 * the signature verifies over SHA-256(origin) ‖ SHA-256(challenge); the
 * certificate is valid (OCSP, falling back to the CRL). Then the holder is
 * found or registered and gets the client's PPID.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import type { Db } from '@myna-ap/db';
import { IdpError } from '../errors.ts';
import type { Client } from '../store/clients.ts';
import { consumeChallenge, type ChallengeOwner } from '../store/challenges.ts';
import type { CertificateValidator, ValidationAnswer } from '../validation/validator.ts';
import type { HolderKeys } from '../ppid/holders.ts';
import { proofSignedData } from './signedData.ts';
import { signCertificateInfo } from './signCertificate.ts';

export interface ProofRequest {
  readonly challenge: string;
  /** The origin the holder's browser signed for (from the bridge). */
  readonly origin: string;
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

export interface ProofResult {
  readonly ppid: string;
  /** How the holder was identified: the card's key after the PIN. */
  readonly identifiedBy: 'pin-signature';
  /** The holder was seen for the first time (registered by this proof). */
  readonly registered: boolean;
  readonly validation: ValidationAnswer;
}

export interface ProofDeps {
  readonly db: Db;
  readonly validator: CertificateValidator;
  readonly holders: HolderKeys;
  readonly now?: () => Date;
}

/**
 * Checks a proof and finds (or registers) its holder: everything but the PPID,
 * which depends on who asks. `owner` is who the challenge was made for.
 */
export async function verifyProofHolder(
  deps: ProofDeps,
  owner: ChallengeOwner,
  req: ProofRequest,
  method: 'ocsp' | 'crl' = 'ocsp',
): Promise<{ holderId: Buffer; registered: boolean; validation: ValidationAnswer }> {
  const validation = await checkProof(deps, owner, req, method);
  const { holderId, created } = await deps.db.transaction((tx) =>
    deps.holders.register(tx, req.certificate),
  );
  return { holderId, registered: created, validation };
}

/**
 * The proof's checks alone (the challenge is used up): the challenge, the origin,
 * a 利用者証明用 certificate, the signature, the certificate valid. Finds no holder.
 */
export async function checkProof(
  deps: ProofDeps,
  owner: ChallengeOwner,
  req: ProofRequest,
  method: 'ocsp' | 'crl' = 'ocsp',
): Promise<ValidationAnswer> {
  const { origin: issuedFor } = await consumeChallenge(
    deps.db,
    owner,
    req.challenge,
    deps.now?.() ?? new Date(),
  );
  if (req.origin !== issuedFor) {
    throw new IdpError('ORIGIN_MISMATCH', {
      en: `the signature was made for ${req.origin}, the challenge was issued for ${issuedFor}`,
      ja: `署名は ${req.origin} 向け、チャレンジは ${issuedFor} 向けに発行されています`,
    });
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(req.certificate);
  } catch {
    throw new IdpError('CERT_MALFORMED');
  }
  const kind = deps.validator.classify(req.certificate);
  if (kind && kind.use !== 'auth') throw new IdpError('CERT_NOT_AUTH');
  const ok = createVerify('sha256')
    .update(proofSignedData(issuedFor, req.challenge))
    .verify(leaf.publicKey, req.signature);
  if (!ok) throw new IdpError('PROOF_BAD_SIGNATURE');
  const validation =
    method === 'crl'
      ? deps.validator.crl(req.certificate)
      : await deps.validator.ocsp(req.certificate);
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
  return validation;
}

/**
 * A machine client's proof: the holder's PPID at the client's sector. With the
 * holder's 署名用 certificate and its key's signature over the same data (after the
 * 署名用 password), that certificate is checked and kept by keyed hash for a
 * re-link after a renewal (`relinkHolder`).
 */
export async function verifyProof(
  deps: ProofDeps,
  client: Client,
  req: ProofRequest,
  sign?: { readonly signCertificate: string; readonly signSignature: string },
): Promise<ProofResult> {
  const validation = await checkProof(deps, { clientId: client.clientId }, req);
  const signCert = sign
    ? await signCertificateInfo(deps.validator, sign, req.origin, req.challenge)
    : undefined;
  const { holderId, created } = await deps.db.transaction(async (tx) => {
    const h = await deps.holders.register(tx, req.certificate);
    if (signCert) await deps.holders.recordSignCertificate(tx, signCert.cert, h.holderId);
    return h;
  });
  return {
    ppid: deps.holders.ppid(client.sector, holderId),
    identifiedBy: 'pin-signature',
    registered: created,
    validation,
  };
}
