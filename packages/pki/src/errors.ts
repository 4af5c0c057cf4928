/**
 * The one error type of this package that a caller acts on: a stable `code` and
 * an English message (the CLI adds the Japanese). Kept apart from issuer.ts so the
 * key stores can throw it too.
 */
export type PkiErrorCode =
  | 'PKI_DIR_NOT_EMPTY'
  | 'PKI_DIR_MISSING'
  | 'PKI_DIR_BAD'
  | 'PKI_BAD_REQUEST'
  | 'PKI_BAD_SERIAL'
  | 'PKI_UNKNOWN_SERIAL'
  | 'PKI_BAD_REASON'
  | 'PKI_REASON_NOT_FOR_KIND'
  | 'PKI_ALREADY_REVOKED'
  | 'PKI_NO_BASE_CRL'
  // key stores
  | 'PKI_KEY_EXISTS' // generate() with an id already in use
  | 'PKI_KEY_MISSING' // no key under that id (file, or token object)
  | 'PKI_KEY_MISMATCH' // the stored key is not the one the certificate names
  | 'PKI_PKCS11_MODULE' // the PKCS#11 library cannot be loaded or initialised
  | 'PKI_PKCS11_TOKEN_MISSING' // no token with that label / slot
  | 'PKI_PKCS11_PIN_MISSING' // the issuer's keys are in a token and no PIN was given
  | 'PKI_PKCS11_LOGIN' // the token refused the PIN (or is locked)
  | 'PKI_PKCS11'; // any other PKCS#11 failure (the CKR_ name is in the message)

export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;
  constructor(code: PkiErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
