/** Typed failures of the host-side card clients, with text for people in both languages. */
import { describeStatusWord } from '@myna-ap/apdu';

export type AccessErrorCode =
  | 'PIN_WRONG' // 暗証番号の誤り (tries left in `triesLeft`)
  | 'PIN_LOCKED' // 暗証番号ロック
  | 'PIN_REQUIRED' // 暗証番号の照合が必要
  | 'PIN_FORMAT' // 暗証番号の形式誤り (nothing was sent to the card)
  | 'NOT_MYNA_CARD' // the application is not on this card
  | 'BAD_DATA' // an EF's content is not what the layout says
  | 'CARD_AP_NOT_FOUND' // no such card AP on the card
  | 'KEYS_REQUIRED' // a protected card AP read without its key package
  | 'KEYS_REJECTED' // the card AP did not accept the keys (another provider's card AP)
  | 'KEY_PACKAGE_MISMATCH' // the key package is for another AID
  | 'CARD_ERROR'; // any other unexpected status word

export type AccessText = { readonly en: string; readonly ja: string };

export class AccessError extends Error {
  override readonly name = 'AccessError';
  readonly code: AccessErrorCode;
  readonly text: AccessText;
  /** For PIN_WRONG: tries left after this failure (0 never appears: that is PIN_LOCKED). */
  readonly triesLeft: number | undefined;
  /** The status word behind the failure, when the card sent one. */
  readonly sw: number | undefined;
  constructor(
    code: AccessErrorCode,
    text: AccessText,
    extra: { triesLeft?: number; sw?: number } = {},
  ) {
    super(text.en);
    this.code = code;
    this.text = text;
    this.triesLeft = extra.triesLeft;
    this.sw = extra.sw;
  }
}

export function cardError(sw: number, what: AccessText): AccessError {
  return new AccessError(
    'CARD_ERROR',
    {
      en: `${what.en}: card answered ${describeStatusWord(sw, 'en')}`,
      ja: `${what.ja}: カードの応答 ${describeStatusWord(sw, 'ja')}`,
    },
    { sw },
  );
}

export function badData(what: AccessText, detail: string): AccessError {
  return new AccessError('BAD_DATA', {
    en: `${what.en}: unexpected content (${detail})`,
    ja: `${what.ja}: 内容が不正です（${detail}）`,
  });
}
