/**
 * The emulator's failure codes, each with its meaning in both languages: a card
 * that cannot be made from the options given (CardOptionError), and a card image
 * that cannot be used (CardImageError, FreeAreaImageError). An error instance
 * carries the specific text (which field, which file).
 */
import { defineCatalogue, type CodeOf, type Text } from '@myna-ap/text';

/** CardOptionError: an option of `createCard` / `myna card create` is wrong. */
export const CARD_OPTION_ERRORS = defineCatalogue({
  BAD_NAME: { en: 'the name is not usable', ja: '氏名が使えません' },
  BAD_ADDRESS: { en: 'the address is not usable', ja: '住所が使えません' },
  BAD_BIRTH_DATE: { en: 'the birth date is not a date', ja: '生年月日が日付ではありません' },
  BAD_SEX: { en: 'sex is 1, 2 or 9 (ISO 5218)', ja: '性別は1・2・9のいずれかです（ISO 5218）' },
  BAD_MY_NUMBER: {
    en: 'the My Number is not 12 digits with a valid check digit',
    ja: '個人番号が検査用数字付きの12桁ではありません',
  },
  BAD_PIN: { en: 'the PIN has the wrong shape', ja: '暗証番号の形式が違います' },
  BAD_SIGN_PASSWORD: {
    en: 'the sign password has the wrong shape',
    ja: '署名用暗証番号の形式が違います',
  },
  BAD_MUNICIPALITY: {
    en: 'the municipality code is not 6 digits with a valid check digit',
    ja: '市区町村コードが検査数字付きの6桁ではありません',
  },
  BAD_EXPIRY: { en: 'the expiry is not a usable date', ja: '有効期限が使えない日付です' },
  BAD_SECURITY_CODE: {
    en: 'the security code is not 4 digits',
    ja: 'セキュリティコードが4桁の数字ではありません',
  },
  BAD_RESIDENT_CODE: {
    en: 'the resident record code is not 11 digits',
    ja: '住民票コードが11桁の数字ではありません',
  },
  BAD_KEY: { en: 'a key is not usable', ja: '鍵が使えません' },
  BASIC_INFO_TOO_LONG: {
    en: 'the 4 basic info do not fit their EF',
    ja: '基本4情報がEFに収まりません',
  },
});
export type CardOptionErrorCode = CodeOf<typeof CARD_OPTION_ERRORS>;

/** CardImageError and FreeAreaImageError: a card image (file) that cannot be used. */
export const CARD_IMAGE_ERRORS = defineCatalogue({
  CARD_IMAGE_INVALID: { en: 'the card image is not valid', ja: 'カードイメージが不正です' },
  CARD_IMAGE_UNSUPPORTED: {
    en: 'the card image is of a format or version this emulator does not read',
    ja: 'このエミュレータが読めない形式・版のカードイメージです',
  },
  CARD_FILE_NOT_FOUND: { en: 'the card file does not exist', ja: 'カードファイルがありません' },
  CARD_FILE_UNREADABLE: {
    en: 'the card file cannot be read',
    ja: 'カードファイルを読み込めません',
  },
  CARD_FILE_EXISTS: { en: 'the card file already exists', ja: 'カードファイルが既にあります' },
  FREE_AREA_IMAGE_INVALID: {
    en: 'the free areas of the card image are not valid',
    ja: 'カードイメージの空き領域が不正です',
  },
});
export type CardImageErrorCode = Exclude<
  CodeOf<typeof CARD_IMAGE_ERRORS>,
  'FREE_AREA_IMAGE_INVALID'
>;

export class CardOptionError extends Error {
  override readonly name = 'CardOptionError';
  constructor(
    readonly code: CardOptionErrorCode,
    readonly text: Text,
  ) {
    super(text.en);
  }
}
