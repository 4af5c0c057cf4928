/**
 * A holder's 署名用 certificate given with a proof: a 署名用 certificate of a
 * trusted CA, its key's signature over the proof's signed data (so the holder
 * typed the 署名用 password on that card), valid now; then its 4 info. The OIDC
 * flow's 4 info and the re-link after a renewal both take it this way.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { readHolderInfo } from '@myna-ap/pki';
import { IdpError } from '../errors.ts';
import type { CertificateValidator } from '../validation/validator.ts';
import { proofSignedData } from './signedData.ts';

const der = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/**
 * The 4 info of the 署名用 certificate the holder gave, once it is shown to be
 * theirs (its key signed the same challenge, after the 署名用 password) and valid.
 */
export async function signCertificateInfo(
  validator: CertificateValidator,
  body: { signCertificate?: string | undefined; signSignature?: string | undefined },
  origin: string,
  challenge: string,
) {
  if (!body.signCertificate || !body.signSignature) throw new IdpError('SIGN_CERT_REQUIRED');
  const cert = der(body.signCertificate);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new IdpError('CERT_MALFORMED');
  }
  if (validator.classify(cert)?.use !== 'sign') throw new IdpError('CERT_NOT_SIGN');
  const ok = createVerify('sha256')
    .update(proofSignedData(origin, challenge))
    .verify(leaf.publicKey, der(body.signSignature));
  if (!ok) throw new IdpError('PROOF_BAD_SIGNATURE');
  const v = await validator.ocsp(cert);
  if (v.result.status !== 'valid') {
    throw new IdpError(
      'CERT_INVALID',
      {
        en: `the 署名用 certificate is not valid: ${v.reason.en}`,
        ja: `署名用電子証明書が有効ではありません: ${v.reason.ja}`,
      },
      { validation: v },
    );
  }
  const info = readHolderInfo(cert);
  if (!info) throw new IdpError('CERT_NOT_SIGN');
  return { info, cert, leaf, validation: v };
}
