/** Errors a person can act on when making a card, with a stable code. */
export type CardOptionErrorCode =
  | 'BAD_NAME'
  | 'BAD_ADDRESS'
  | 'BAD_BIRTH_DATE'
  | 'BAD_SEX'
  | 'BAD_MY_NUMBER'
  | 'BAD_PIN'
  | 'BAD_SIGN_PASSWORD'
  | 'BAD_MUNICIPALITY'
  | 'BAD_EXPIRY'
  | 'BAD_SECURITY_CODE'
  | 'BAD_RESIDENT_CODE'
  | 'BAD_KEY'
  | 'BASIC_INFO_TOO_LONG';

export class CardOptionError extends Error {
  override readonly name = 'CardOptionError';
  constructor(
    readonly code: CardOptionErrorCode,
    readonly text: { readonly en: string; readonly ja: string },
  ) {
    super(text.en);
  }
}
