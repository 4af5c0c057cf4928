/**
 * @myna-ap/pki — a test JPKI issuer (root, 署名用 and 利用者証明用 CAs, OCSP
 * responder certificates), its key stores, its OCSP/CRL service, and the checks a
 * relying party makes (chain, CRL index, OCSP). What other packages may use, by name;
 * the parsers' helpers and the DER writer stay inside.
 */

// Failures (codes: errors.ts, docs/errors.md).
export {
  PKI_ERRORS,
  PKI_DATA_ERRORS,
  PkiError,
  type PkiErrorCode,
  type PkiDataErrorCode,
} from './errors.ts';
export { DerError } from './der.ts';

// The issuer and what it issues.
export {
  JpkiIssuer,
  defaultPkiDir,
  type CardCertificates,
  type IssueCardRequest,
  type InitOptions,
  type OpenOptions,
  type KeyLocation,
} from './issuer.ts';
export type { CertKind } from './kinds.ts';
export { RevocationLog, type CardLink, type CardRevocation } from './cardLinks.ts';
export { CA_NAME } from './names.ts';
export { readHolderInfo, type HolderInfo } from './holder.ts';
export { fifthBirthdayAfter } from './validity.ts';

// Keys: a file or a PKCS#11 token, used alike.
export { SoftwareKeyStore, type KeyStore, type IssuerKey } from './keyStore.ts';
export {
  Pkcs11KeyStore,
  PKCS11_PIN_ENV,
  type Pkcs11Location,
  type Pkcs11Settings,
} from './pkcs11.ts';

// Revocation (失効): reasons and the rules of who may be revoked why.
export {
  REVOCATION_REASONS,
  CRL_REASON,
  checkRevocation,
  normalizeSerial,
  type RevocationReason,
  type Revocation,
  type RevocationRefusal,
} from './revocation.ts';

// The service: OCSP and CRLs over HTTP, in one process or on every core.
export { startPkiServer, type PkiServer, type PkiServerOptions } from './server.ts';
export { startPkiCluster, type PkiClusterOptions } from './cluster.ts';
export {
  parseOcspRequest,
  OcspRequestError,
  type OcspRequestInfo,
  type OcspCertId,
} from './ocsp.ts';

// Detached signatures over published files (the status feed's daily list).
export {
  signDetached,
  verifyDetached,
  openFileSigner,
  SignedFileError,
  type FileSigner,
  type DetachedCheck,
} from './detachedSignature.ts';

// A relying party's checks: the chain, then a CRL or OCSP.
export {
  parseCrl,
  verifyCrlSignature,
  CrlIndex,
  CrlParseError,
  CrlTrustError,
  MAX_CRL_ENTRIES,
  type CrlInfo,
  type RevokedEntry,
} from './crlIndex.ts';
export {
  checkChain,
  validateWithCrl,
  validateWithOcsp,
  checkOcspResponse,
  MAX_OCSP_RESPONSE,
  type Validation,
  type TrustAnchors,
  type OcspOptions,
} from './validate.ts';
