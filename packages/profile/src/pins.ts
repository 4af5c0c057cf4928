/**
 * The PINs (暗証番号 / 照合番号) of the fixed applications: where each lives (its
 * application and reference, which is its FID and SFI), how many wrong tries lock
 * it, and what a valid one looks like (CARD.md; seed 004 for the lock).
 */
import type { Text } from '@myna-ap/text';
import type { FixedApName } from './aids.ts';
import { JPKI_EF, JUKI_EF, TEXT_EF, VISUAL_EF } from './efs.ts';

/** What a PIN may look like (checked when it is set, and by hosts before VERIFY). */
export interface PinFormat extends Text {
  readonly pattern: RegExp;
}

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

export type FixedPinName =
  | 'jpki_auth'
  | 'jpki_sign'
  | 'text'
  | 'text_pin_a'
  | 'text_pin_b'
  | 'visual_pin_a'
  | 'visual_pin_b'
  | 'juki';

export interface FixedPin {
  readonly name: FixedPinName;
  readonly label: Text;
  readonly ap: FixedApName;
  /** The PIN object's FID; also its SFI and reference (VERIFY `00 20 00 80|ref`). */
  readonly ref: number;
  /** Tries after a success; the PIN locks at 0. */
  readonly tries: number;
  readonly format: PinFormat;
  /**
   * The holder chooses it: changed with the old one (CHANGE REFERENCE DATA) and set
   * anew at the counter (ロック解除). 照合番号A/B are the card's own data, never chosen.
   */
  readonly holderSet: boolean;
}

function pin(
  name: FixedPinName,
  ap: FixedApName,
  ref: number,
  tries: number,
  format: PinFormat,
  label: Text,
): FixedPin {
  // The 4-digit PINs and the sign password are chosen; PIN A / PIN B are data.
  const holderSet = format !== PIN_A && format !== PIN_B;
  return { name, ap, ref, tries, format, label, holderSet };
}

/** Every PIN of the fixed applications, by name. */
export const FIXED_PIN = {
  jpki_auth: pin('jpki_auth', 'jpki', JPKI_EF.authPin, 3, FOUR_DIGITS, {
    en: 'JPKI auth PIN',
    ja: '利用者証明用暗証番号',
  }),
  jpki_sign: pin('jpki_sign', 'jpki', JPKI_EF.signPin, 5, SIGN_PASSWORD, {
    en: 'JPKI sign password',
    ja: '署名用暗証番号',
  }),
  text: pin('text', 'text', TEXT_EF.pin, 3, FOUR_DIGITS, {
    en: 'text AP PIN',
    ja: '券面事項入力補助用暗証番号',
  }),
  text_pin_a: pin('text_pin_a', 'text', TEXT_EF.pinA, 10, PIN_A, {
    en: 'text AP PIN A',
    ja: '券面事項入力補助AP 照合番号A',
  }),
  text_pin_b: pin('text_pin_b', 'text', TEXT_EF.pinB, 10, PIN_B, {
    en: 'text AP PIN B',
    ja: '券面事項入力補助AP 照合番号B',
  }),
  visual_pin_a: pin('visual_pin_a', 'visual', VISUAL_EF.pinA, 10, PIN_A, {
    en: 'visual AP PIN A',
    ja: '券面事項確認AP 照合番号A',
  }),
  visual_pin_b: pin('visual_pin_b', 'visual', VISUAL_EF.pinB, 10, PIN_B, {
    en: 'visual AP PIN B',
    ja: '券面事項確認AP 照合番号B',
  }),
  juki: pin('juki', 'juki', JUKI_EF.pin, 3, FOUR_DIGITS, {
    en: 'juki AP PIN',
    ja: '住基用暗証番号',
  }),
} as const satisfies Readonly<Record<FixedPinName, FixedPin>>;

/** The PINs in the order a diagnosis reports them. */
export const FIXED_PINS: readonly FixedPin[] = Object.values(FIXED_PIN);

/** The PINs a holder chooses (and the counter may set anew), in FIXED_PINS order. */
export const HOLDER_PINS: readonly FixedPin[] = FIXED_PINS.filter((p) => p.holderSet);
