/** The shapes of the card's PINs (暗証番号 / 照合番号), checked when a card is made. */
import type { PinFormat } from '../fs/spec.ts';

/** 4-digit PINs: 利用者証明用電子証明書, 券面事項入力補助用, 住民基本台帳用. */
export const FOUR_DIGITS: PinFormat = {
  pattern: /^[0-9]{4}$/,
  en: '4 digits',
  ja: '数字4桁',
};

/** 署名用電子証明書暗証番号: 6–16 characters, upper-case letters and digits, at least one of each. */
export const SIGN_PASSWORD: PinFormat = {
  pattern: /^(?=.*[A-Z])(?=.*[0-9])[A-Z0-9]{6,16}$/,
  en: '6 to 16 upper-case letters (A-Z) and digits (0-9), at least one of each',
  ja: '英大文字（A～Z）と数字（0～9）を組み合わせた6～16文字',
};

/** 照合番号A: the 12-digit My Number. */
export const PIN_A: PinFormat = {
  pattern: /^[0-9]{12}$/,
  en: '12 digits (the My Number)',
  ja: '数字12桁（個人番号）',
};

/** 照合番号B: birth date YYMMDD + expiry year YYYY + security code (4 digits). */
export const PIN_B: PinFormat = {
  pattern: /^[0-9]{14}$/,
  en: '14 digits (birth YYMMDD, expiry year YYYY, security code)',
  ja: '数字14桁（生年月日6桁・有効期限の西暦年4桁・セキュリティコード4桁）',
};
