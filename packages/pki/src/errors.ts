/**
 * The failure codes of this package, each declared once with its meaning in both
 * languages. Two kinds:
 *  - PKI_ERRORS (PkiError): the issuer and its key stores refusing a request or
 *    failing to open; a caller acts on the code.
 *  - PKI_DATA_ERRORS: bytes from outside that are not what they must be (a CRL, an
 *    OCSP request, the DER this package reads by hand).
 * None is an HTTP status: the responder answers a bad OCSP request in-band
 * (malformedRequest, RFC 6960 §2.3). An error's message is the specific English
 * (which serial, which file); its `text` puts the code's Japanese meaning before it.
 * Kept apart from issuer.ts so the key stores and parsers can throw them too.
 */
import { defineCatalogue, type CatalogueEntry, type CodeOf, type Text } from '@myna-ap/text';

export const PKI_ERRORS = defineCatalogue({
  PKI_DIR_NOT_EMPTY: {
    en: 'the directory for a new issuer is not empty',
    ja: '新しい発行者のディレクトリが空ではありません',
  },
  PKI_DIR_MISSING: {
    en: 'there is no issuer in the directory',
    ja: 'ディレクトリに発行者がありません',
  },
  PKI_DIR_BAD: {
    en: 'the issuer directory is damaged (a file is missing or wrong)',
    ja: '発行者のディレクトリが壊れています（ファイルがないか不正です）',
  },
  PKI_BAD_REQUEST: {
    en: 'the request to the issuer is not usable',
    ja: '発行者への要求が不正です',
  },
  PKI_BAD_SERIAL: {
    en: 'the serial number is not hexadecimal',
    ja: 'シリアル番号が16進数ではありません',
  },
  PKI_UNKNOWN_SERIAL: {
    en: 'no certificate of this issuer has that serial number',
    ja: 'そのシリアル番号の証明書はこの発行者にありません',
  },
  PKI_BAD_REASON: {
    en: 'the revocation reason is not one the issuer knows',
    ja: '失効理由が不正です',
  },
  PKI_REASON_NOT_FOR_KIND: {
    en: 'the revocation reason does not apply to this kind of certificate',
    ja: 'この種類の証明書には使えない失効理由です',
  },
  PKI_ALREADY_REVOKED: {
    en: 'the certificate is already revoked',
    ja: '証明書は既に失効しています',
  },
  PKI_NO_BASE_CRL: {
    en: 'a delta CRL needs a full CRL published before it',
    ja: '差分 CRL の前に完全な CRL を発行してください',
  },
  PKI_KEY_EXISTS: {
    en: 'a key with that name already exists',
    ja: 'その名前の鍵は既にあります',
  },
  PKI_KEY_MISSING: { en: 'the key is not there', ja: '鍵が見つかりません' },
  PKI_KEY_MISMATCH: {
    en: 'the stored key is not the one its certificate names',
    ja: '鍵が証明書と一致しません',
  },
  PKI_PKCS11_MODULE: {
    en: 'the PKCS#11 module cannot be loaded or initialised',
    ja: 'PKCS#11 モジュールを読み込めません（パスを確認してください）',
  },
  PKI_PKCS11_TOKEN_MISSING: {
    en: 'no PKCS#11 token has that label or slot',
    ja: '指定したラベル（またはスロット）の PKCS#11 トークンが見つかりません',
  },
  PKI_PKCS11_PIN_MISSING: {
    en: 'the keys are in a PKCS#11 token and no user PIN was given',
    ja: '鍵は PKCS#11 トークンにあります。利用者 PIN を環境変数で渡してください',
  },
  PKI_PKCS11_LOGIN: {
    en: 'the PKCS#11 token refused the PIN (wrong, or locked)',
    ja: 'PKCS#11 トークンが PIN を受け付けませんでした（PIN 誤り、またはロック）',
  },
  PKI_PKCS11: {
    en: 'a PKCS#11 call failed (its CKR_ name is in the message)',
    ja: 'PKCS#11 の呼び出しが失敗しました（CKR_ の名前はメッセージにあります）',
  },
});
export type PkiErrorCode = CodeOf<typeof PKI_ERRORS>;

export const PKI_DATA_ERRORS = defineCatalogue({
  BAD_DER: {
    en: 'the DER is not well formed (certificate fields read by hand)',
    ja: 'DER の形式が不正です（証明書のフィールド）',
  },
  BAD_CRL: {
    en: 'the CRL is not a well-formed DER CertificateList (RFC 5280)',
    ja: 'CRL が正しい DER の CertificateList ではありません（RFC 5280）',
  },
  CRL_WRONG_ISSUER: {
    en: 'the CRL is of another issuer or another key of that issuer',
    ja: 'CRL の発行者（または鍵）が違います',
  },
  CRL_BAD_SIGNATURE: {
    en: 'the CRL signature does not verify with the CA key',
    ja: 'CRL の署名を CA の鍵で検証できません',
  },
  BAD_CMS: {
    en: 'the signature file is not a detached CMS SignedData with one signer (RFC 5652)',
    ja: '署名ファイルが、署名者1名の分離型 CMS SignedData（RFC 5652）ではありません',
  },
  CMS_BAD_SIGNATURE: {
    en: 'the signature does not match the file or is not the trusted signer’s',
    ja: '署名がファイルと一致しないか、信頼する署名者のものではありません',
  },
  BAD_OCSP_REQUEST: {
    en: 'the OCSP request is not a DER OCSPRequest the responder answers (answered malformedRequest)',
    ja: 'OCSP 要求が応答できる DER の OCSPRequest ではありません（malformedRequest で応答）',
  },
});
export type PkiDataErrorCode = CodeOf<typeof PKI_DATA_ERRORS>;

/** An error's text: the specific English message; in Japanese the code's meaning, then it. */
export function detailText(entry: CatalogueEntry, message: string): Text {
  return { en: message, ja: `${entry.ja}（${message}）` };
}

export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;
  readonly text: Text;
  constructor(code: PkiErrorCode, message: string) {
    super(message);
    this.code = code;
    this.text = detailText(PKI_ERRORS[code], message);
  }
}
