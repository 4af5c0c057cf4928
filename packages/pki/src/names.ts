/** Distinguished names of the test JPKI hierarchy (CA style per CARD.md). */
const JLIS = 'OU=Japan Agency for Local Authority Information Systems';

export const CA_NAME = {
  root: `C=JP, O=JPKI, OU=JPKI Root CA (myna-ap test issuer), ${JLIS}`,
  auth: `C=JP, O=JPKI, OU=JPKI for user authentication, ${JLIS}`, // 利用者証明用認証局
  sign: `C=JP, O=JPKI, OU=JPKI for digital signature, ${JLIS}`, // 署名用認証局
} as const;

export function ocspResponderName(kind: 'auth' | 'sign'): string {
  return `C=JP, O=JPKI, OU=JPKI OCSP responder for ${kind === 'auth' ? 'user authentication' : 'digital signature'}, ${JLIS}`;
}
