/**
 * The identity platform's failure codes: one catalogue, each with its HTTP status
 * and its meaning in Japanese and English. An IdpError may carry a more specific
 * text (which certificate, which origin); the code is what callers branch on.
 */
import { defineCatalogue, type CodeOf, type Text } from '@myna-ap/text';

export const IDP_ERRORS = defineCatalogue({
  // ── the request itself
  INTERNAL: {
    status: 500,
    en: 'internal server error',
    ja: 'サーバー内部のエラーです',
  },
  BAD_REQUEST: {
    status: 400,
    en: 'the request is malformed',
    ja: 'リクエストの形式が正しくありません',
  },
  CERT_MALFORMED: {
    status: 400,
    en: 'the certificate is not a DER X.509 certificate',
    ja: '電子証明書が DER 形式の X.509 証明書ではありません',
  },
  // ── machine clients (client credentials)
  CLIENT_AUTH_REQUIRED: {
    status: 401,
    en: 'client authentication is required (client id and secret, or a signed JWT assertion)',
    ja: 'クライアント認証が必要です（クライアントIDとシークレット、または署名付きJWTアサーション）',
  },
  CLIENT_AUTH_FAILED: {
    status: 401,
    en: 'client authentication failed',
    ja: 'クライアント認証に失敗しました',
  },
  TOKEN_INVALID: {
    status: 401,
    en: 'the access token is missing, unknown or expired',
    ja: 'アクセストークンがないか、不明か、期限切れです',
  },
  SCOPE_DENIED: {
    status: 403,
    en: 'this client is not allowed to use this function',
    ja: 'このクライアントにはこの機能の利用が許可されていません',
  },
  UNSUPPORTED_GRANT: {
    status: 400,
    en: 'only the client_credentials grant is accepted here',
    ja: 'ここでは client_credentials グラントのみ受け付けます',
  },
  CLIENT_EXISTS: {
    status: 409,
    en: 'a client with this id is already registered',
    ja: 'このIDのクライアントは登録済みです',
  },
  CLIENT_NOT_FOUND: {
    status: 404,
    en: 'no such client',
    ja: 'そのクライアントは登録されていません',
  },
  // ── electronic user proof (電子利用者証明)
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    en: 'this origin is not registered for the client',
    ja: 'このオリジンはクライアントに登録されていません',
  },
  CHALLENGE_UNKNOWN: {
    status: 404,
    en: 'no such challenge',
    ja: 'そのチャレンジは存在しません',
  },
  CHALLENGE_EXPIRED: {
    status: 410,
    en: 'the challenge has expired: ask for a new one',
    ja: 'チャレンジの有効期限が切れています。新しいチャレンジを取得してください',
  },
  CHALLENGE_USED: {
    status: 409,
    en: 'the challenge was already used (a replay?)',
    ja: 'このチャレンジは使用済みです（再送の可能性があります）',
  },
  CHALLENGE_OTHER_CLIENT: {
    status: 403,
    en: 'the challenge was issued to another client',
    ja: 'このチャレンジは別のクライアントに発行されたものです',
  },
  ORIGIN_MISMATCH: {
    status: 400,
    en: 'the signature was made for another origin',
    ja: '署名は別のオリジン向けに作成されています',
  },
  PROOF_BAD_SIGNATURE: {
    status: 400,
    en: 'the signature does not verify with the certificate',
    ja: '署名を電子証明書で検証できません',
  },
  CERT_NOT_AUTH: {
    status: 400,
    en: 'not a 利用者証明用 (user authentication) certificate',
    ja: '利用者証明用電子証明書ではありません',
  },
  CERT_INVALID: {
    status: 400,
    en: 'the certificate is not valid',
    ja: '電子証明書が有効ではありません',
  },
  // ── PPID
  HOLDER_NOT_LINKED: {
    status: 409,
    en: 'this certificate is not linked to a registered holder: register with a PIN-verified proof',
    ja: 'この電子証明書は登録済みの利用者に紐付いていません。暗証番号による利用者証明で登録してください',
  },
  RELINK_NOT_NEEDED: {
    status: 409,
    en: 'this card is already linked to a holder: no re-link is needed',
    ja: 'このカードは既に利用者に紐付いています。再紐付けは不要です',
  },
  RELINK_OLD_UNKNOWN: {
    status: 404,
    en: 'the old 署名用 certificate is not one a registered holder gave (or not of a trusted CA)',
    ja: '旧署名用電子証明書は登録済みの利用者のものではありません（または信頼された認証局のものではありません）',
  },
  RELINK_INFO_MISMATCH: {
    status: 403,
    en: 'the 4 info of the old and the new 署名用 certificates differ: re-link refused',
    ja: '旧と新の署名用電子証明書の基本4情報が一致しないため、再紐付けできません',
  },
  // ── かざし利用 (touch-only use at declared sites)
  TOUCH_SITE_NOT_ALLOWED: {
    status: 400,
    en: 'かざし利用 is allowed only at staffed, face-to-face sites of 保証レベル1 (never online or unattended)',
    ja: 'かざし利用は有人・対面・保証レベル1の拠点でのみ利用できます（オンラインや無人の場所では利用できません）',
  },
  TOUCH_SITE_UNDECLARED: {
    status: 403,
    en: 'this site is not declared by the client for かざし利用',
    ja: 'この拠点はクライアントがかざし利用の拠点として届け出ていません',
  },
  TOUCH_NOT_REGISTERED: {
    status: 409,
    en: 'this card is not registered for かざし利用 at this service: register first with the PIN',
    ja: 'このカードはこのサービスのかざし利用に登録されていません。先に暗証番号で登録してください',
  },
  // ── the OIDC provider (MKPF 類型①)
  OIDC_STATE_REQUIRED: {
    status: 400,
    en: 'the authorization request needs a state',
    ja: '認可リクエストには state が必要です',
  },
  OIDC_NONCE_REQUIRED: {
    status: 400,
    en: 'the authorization request needs a nonce',
    ja: '認可リクエストには nonce が必要です',
  },
  INTERACTION_UNKNOWN: {
    status: 404,
    en: 'no such sign-in in progress (expired, finished, or in another browser)',
    ja: '進行中のサインインが見つかりません（期限切れ、完了済み、または別のブラウザです）',
  },
  SIGN_CERT_REQUIRED: {
    status: 400,
    en: 'the 4 info are asked for: give the 署名用 certificate and a signature with its key',
    ja: '基本4情報が求められています。署名用電子証明書とその鍵による署名を送ってください',
  },
  CERT_NOT_SIGN: {
    status: 400,
    en: 'not a 署名用 (signature) certificate',
    ja: '署名用電子証明書ではありません',
  },
  // ── the signature API (scope sign)
  SIGN_DIGEST_INVALID: {
    status: 400,
    en: 'give a SHA-256 digest (32 bytes) or a SHA-256 DigestInfo, one of them',
    ja: 'SHA-256 のダイジェスト（32バイト）か SHA-256 の DigestInfo のどちらか一方を指定してください',
  },
  SIGN_TRANSACTION_UNKNOWN: {
    status: 404,
    en: 'no such sign transaction for this client',
    ja: 'このクライアントにその署名トランザクションはありません',
  },
  SIGN_TRANSACTION_REQUIRED: {
    status: 400,
    en: 'scope sign needs sign_transaction: the id of a transaction this client created',
    ja: 'スコープ sign には sign_transaction（このクライアントが作成したトランザクションのID）が必要です',
  },
  SIGN_TRANSACTION_EXPIRED: {
    status: 410,
    en: 'the sign transaction expired before the holder approved it',
    ja: '署名トランザクションは利用者の承認前に期限切れになりました',
  },
  SIGN_TRANSACTION_DONE: {
    status: 409,
    en: 'the sign transaction is already signed',
    ja: '署名トランザクションは既に署名済みです',
  },
  SIGN_SIGNATURE_MISMATCH: {
    status: 400,
    en: 'the signature is not the 署名用 key’s signature of the transaction’s DigestInfo',
    ja: '署名がトランザクションの DigestInfo に対する署名用鍵の署名ではありません',
  },
  // ── the holder's bridge (myna bridge, on 127.0.0.1; the page shows these)
  BRIDGE_ORIGIN_REFUSED: {
    status: 403,
    en: 'this page is not allowed to use the card bridge',
    ja: 'このページにはカード連携（ブリッジ）の利用が許可されていません',
  },
  BRIDGE_NO_READER: {
    status: 503,
    en: 'no card reader found: connect an IC card reader (or start the PC/SC service)',
    ja: 'カードリーダが見つかりません。ICカードリーダを接続してください（または PC/SC サービスを起動してください）',
  },
  BRIDGE_NO_CARD: {
    status: 503,
    en: 'no card in the reader: put your My Number Card on the reader',
    ja: 'カードが置かれていません。マイナンバーカードをカードリーダに置いてください',
  },
  BRIDGE_NOT_MYNA_CARD: {
    status: 422,
    en: 'the card in the reader is not a My Number Card',
    ja: 'カードリーダのカードはマイナンバーカードではありません',
  },
  BRIDGE_PIN_FORMAT: {
    status: 400,
    en: 'the PIN has the wrong shape (nothing was sent to the card, no try was spent)',
    ja: '暗証番号の形式が違います（カードには送っていないので、残り回数は減っていません）',
  },
  BRIDGE_PIN_WRONG: {
    status: 403,
    en: 'the PIN is wrong (tries left: see triesLeft)',
    ja: '暗証番号が違います（残り回数は triesLeft）',
  },
  BRIDGE_PIN_LAST_TRY: {
    status: 409,
    en: 'only 1 try is left before the PIN locks: the bridge does not send a PIN now — check it, or have it reset at your municipality',
    ja: '暗証番号はあと1回間違えるとロックされます。ブリッジからは送信しません。暗証番号を確認するか、市区町村の窓口で再設定してください',
  },
  BRIDGE_PIN_LOCKED: {
    status: 423,
    en: 'the PIN is locked: have it reset at your municipality’s counter',
    ja: '暗証番号がロックされています。市区町村の窓口で再設定してください',
  },
  BRIDGE_UNSUPPORTED: {
    status: 501,
    en: 'this card or this bridge cannot do that',
    ja: 'このカードまたはこのブリッジではその操作はできません',
  },
  BRIDGE_CARD_NOT_GENUINE: {
    status: 422,
    en: 'the card failed internal authentication: it is not a genuine card of the card issuer',
    ja: 'カードの内部認証に失敗しました。カード発行者の正規のカードではありません',
  },
  BRIDGE_CARD_ERROR: {
    status: 502,
    en: 'the card answered with an error',
    ja: 'カードがエラーを返しました',
  },
  // ── running the platform (start-up, administration)
  KEY_FILE_INVALID: {
    status: 500,
    en: 'the idp key file is unusable',
    ja: 'idp の鍵ファイルを使えません',
  },
});

export type IdpErrorCode = CodeOf<typeof IDP_ERRORS>;

export class IdpError extends Error {
  override readonly name = 'IdpError';
  readonly code: IdpErrorCode;
  readonly text: Text;
  readonly status: number;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  constructor(code: IdpErrorCode, text?: Text, detail?: Record<string, unknown>) {
    const entry = IDP_ERRORS[code];
    const t = text ?? { en: entry.en, ja: entry.ja };
    super(`${code}: ${t.en}`);
    this.code = code;
    this.text = t;
    this.status = entry.status;
    this.detail = detail;
  }
}
