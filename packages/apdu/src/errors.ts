/**
 * The failure codes of the APDU layer, each with its meaning in both languages:
 * malformed bytes (ApduError), the secure channel (Scp03Error) and the free-area
 * commands (GpError, KeyPackageError). An error instance carries a more specific
 * English message for developers; these texts are what a person is shown.
 */
import { defineCatalogue, type CodeOf } from '@myna-ap/text';

/** ApduError: bytes that are not a well-formed APDU, TLV or secure-messaging block. */
export const APDU_ERRORS = defineCatalogue({
  BAD_HEX: { en: 'not hexadecimal bytes', ja: '16進数のバイト列ではありません' },
  APDU_TOO_SHORT: { en: 'the APDU is too short', ja: 'APDUが短すぎます' },
  APDU_BAD_LENGTH: {
    en: 'the APDU’s length fields do not match its bytes',
    ja: 'APDUの長さ指定が内容と一致しません',
  },
  APDU_TOO_LONG: { en: 'the APDU is too long', ja: 'APDUが長すぎます' },
  APDU_BAD_FIELD: { en: 'an APDU field is out of range', ja: 'APDUの項目が範囲外です' },
  RESPONSE_TOO_SHORT: {
    en: 'the response has no status word',
    ja: '応答にステータスワードがありません',
  },
  RESPONSE_BAD_SW: {
    en: 'the response’s status word is not a valid one',
    ja: '応答のステータスワードが不正です',
  },
  RESPONSE_CHAIN_TOO_LONG: {
    en: 'the card kept answering “more data” (61 xx) without end',
    ja: 'カードが続きのデータ（61 xx）を返し続けました',
  },
  TLV_TRUNCATED: { en: 'a TLV is cut short', ja: 'TLVが途中で切れています' },
  TLV_BAD_TAG: { en: 'a TLV tag is malformed', ja: 'TLVのタグが不正です' },
  TLV_BAD_LENGTH: { en: 'a TLV length is malformed', ja: 'TLVの長さが不正です' },
  TLV_TRAILING_BYTES: {
    en: 'bytes follow the last TLV',
    ja: '最後のTLVの後に余分なバイトがあります',
  },
  TLV_INDEFINITE_LENGTH: {
    en: 'a TLV has an indefinite length (not used by ISO 7816-4)',
    ja: 'TLVが不定長です（ISO 7816-4では使いません）',
  },
  TLV_TOO_DEEP: { en: 'TLVs are nested too deeply', ja: 'TLVの入れ子が深すぎます' },
  TLV_EMPTY: { en: 'no TLV where one is needed', ja: 'TLVがありません' },
  TLV_BAD_OPTION: { en: 'a TLV parser option is out of range', ja: 'TLV解析の指定が範囲外です' },
  SM_BAD_PADDING: {
    en: 'secure messaging: the padding is wrong',
    ja: 'セキュアメッセージング: パディングが不正です',
  },
  SM_BAD_MAC: {
    en: 'secure messaging: the MAC does not verify',
    ja: 'セキュアメッセージング: MACが一致しません',
  },
  SM_BAD_FORMAT: {
    en: 'secure messaging: a block has the wrong size',
    ja: 'セキュアメッセージング: ブロック長が不正です',
  },
  SM_BAD_KEY: {
    en: 'secure messaging: the key has the wrong size',
    ja: 'セキュアメッセージング: 鍵の長さが不正です',
  },
});
export type ApduErrorCode = CodeOf<typeof APDU_ERRORS>;

/** Every code an ApduError may carry. */
export const APDU_ERROR_CODES = Object.keys(APDU_ERRORS) as readonly ApduErrorCode[];

/** Scp03Error: the secure channel could not be opened or kept. */
export const SCP03_ERRORS = defineCatalogue({
  SCP03_BAD_RESPONSE: {
    en: 'the card’s answer to open the secure channel is malformed',
    ja: 'セキュアチャネル開設へのカードの応答が不正です',
  },
  SCP03_BAD_CARD_CRYPTOGRAM: {
    en: 'the card did not prove the keys (another card, or other keys)',
    ja: 'カードが鍵を証明できませんでした（別のカードか別の鍵です）',
  },
  SCP03_BAD_MAC: {
    en: 'a secure-channel MAC does not verify',
    ja: 'セキュアチャネルのMACが一致しません',
  },
  SCP03_BAD_PADDING: {
    en: 'a secure-channel block’s padding is wrong',
    ja: 'セキュアチャネルのパディングが不正です',
  },
  SCP03_NOT_OPEN: { en: 'the secure channel is not open', ja: 'セキュアチャネルが開いていません' },
  SCP03_BAD_LEVEL: {
    en: 'this security level is not supported',
    ja: 'このセキュリティレベルには対応していません',
  },
  SCP03_SESSION_CLOSED: {
    en: 'the secure channel was closed',
    ja: 'セキュアチャネルは閉じられました',
  },
  SCP03_CARD_REFUSED: {
    en: 'the card refused to open the secure channel',
    ja: 'カードがセキュアチャネルの開設を拒否しました',
  },
});
export type Scp03ErrorCode = CodeOf<typeof SCP03_ERRORS>;

/** GpError and KeyPackageError: free-area commands and key packages. */
export const GP_ERRORS = defineCatalogue({
  GP_BAD_SPEC: {
    en: 'the card AP to install is outside the limits',
    ja: '搭載するカードAPの指定が範囲外です',
  },
  GP_BAD_RESPONSE: {
    en: 'the security domain’s answer is malformed',
    ja: 'セキュリティドメインの応答が不正です',
  },
  KEY_PACKAGE_INVALID: {
    en: 'the key package is not a valid one',
    ja: '鍵パッケージが不正です',
  },
});
export type GpErrorCode = Exclude<CodeOf<typeof GP_ERRORS>, 'KEY_PACKAGE_INVALID'>;
