/**
 * The re-link after a card renewal the issuer did not link (類型②; docs/ppid.md):
 * the holder proves the new card (a PIN proof with its 利用者証明用 key, and its
 * 署名用 certificate signed for after the 署名用 password) and shows the old 署名用
 * certificate. The old certificate must be one this holder gave before with a PIN
 * proof (kept by keyed hash), of a trusted 署名用 CA (revoked or expired is fine:
 * the old card was replaced), and its 4 info — which the JPKI certifies — must equal
 * the new one's. Then the new certificates join the old holder (`linked_via =
 * 'relink'`), so every PPID stays.
 *
 * Why the old 署名用 certificate must be a recorded one: 署名用 certificates are
 * shown to whoever receives a signed document, so holding one proves nothing; and
 * an old 利用者証明用 certificate cannot be tied to a 署名用 one by the certificates
 * alone. A recorded one was given with its holder's PIN proof and signed for.
 */
import { X509Certificate } from 'node:crypto';
import { readHolderInfo, type HolderInfo } from '@myna-ap/pki';
import { IdpError } from '../errors.ts';
import type { Client } from '../store/clients.ts';
import { checkProof, type ProofDeps, type ProofRequest } from '../proof/verify.ts';
import { signCertificateInfo } from '../proof/signCertificate.ts';
import type { ValidationAnswer } from '../validation/validator.ts';

export interface RelinkRequest extends ProofRequest {
  /** The new card's 署名用 certificate and its key's signature over the proof's signed data. */
  readonly signCertificate: string; // base64 DER
  readonly signSignature: string; // base64
  /** The old card's 署名用 certificate. */
  readonly oldSignCertificate: Uint8Array;
}

export interface RelinkResult {
  readonly ppid: string;
  readonly identifiedBy: 'pin-signature';
  readonly relinked: true;
  readonly validation: ValidationAnswer;
}

/** Old certificate results a re-link accepts: the old card was renewed, so it may be over. */
const OLD_OK = new Set(['valid', 'revoked', 'expired']);

/** The JPKI-certified 4 info equal, field by field (an address change is a new 署名用 certificate). */
export function sameFourInfo(a: HolderInfo, b: HolderInfo): boolean {
  return (
    a.name === b.name && a.address === b.address && a.birthDate === b.birthDate && a.sex === b.sex
  );
}

export async function relinkHolder(
  deps: ProofDeps,
  client: Client,
  req: RelinkRequest,
): Promise<RelinkResult> {
  const validation = await checkProof(deps, { clientId: client.clientId }, req);
  const fresh = await signCertificateInfo(deps.validator, req, req.origin, req.challenge);
  if (await deps.holders.holderOf(deps.db, req.certificate)) {
    throw new IdpError('RELINK_NOT_NEEDED');
  }
  const old = req.oldSignCertificate;
  try {
    new X509Certificate(old);
  } catch {
    throw new IdpError('CERT_MALFORMED');
  }
  if (deps.validator.classify(old)?.use !== 'sign') throw new IdpError('CERT_NOT_SIGN');
  const oldStatus = deps.validator.crl(old).result.status;
  const oldInfo = readHolderInfo(old);
  const holderId = await deps.holders.holderOf(deps.db, old);
  if (!OLD_OK.has(oldStatus) || !oldInfo || !holderId) throw new IdpError('RELINK_OLD_UNKNOWN');
  if (!sameFourInfo(oldInfo, fresh.info)) throw new IdpError('RELINK_INFO_MISMATCH');
  await deps.db.transaction(async (tx) => {
    await deps.holders.link(tx, req.certificate, holderId);
    await deps.holders.link(tx, fresh.cert, holderId);
  });
  return {
    ppid: deps.holders.ppid(client.sector, holderId),
    identifiedBy: 'pin-signature',
    relinked: true,
    validation,
  };
}
