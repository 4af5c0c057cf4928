/** Typed failures of the host-side card clients, with text for people in both languages. */
import { describeStatusWord } from '@myna-ap/apdu';
import { defineCatalogue, type CodeOf, type Text } from '@myna-ap/text';

/** Every failure code of the access module and what it means. */
export const ACCESS_ERRORS = defineCatalogue({
  PIN_WRONG: {
    en: 'the PIN is wrong (tries left in triesLeft)',
    ja: '暗証番号が違います（残り回数は triesLeft）',
  },
  PIN_LOCKED: { en: 'the PIN is locked', ja: '暗証番号がロックされています' },
  PIN_REQUIRED: { en: 'verify the PIN first', ja: '先に暗証番号の照合が必要です' },
  PIN_FORMAT: {
    en: 'the PIN has the wrong shape (nothing was sent to the card)',
    ja: '暗証番号の形式が違います（カードには何も送っていません）',
  },
  NOT_MYNA_CARD: {
    en: 'the application is not on this card (is it a My Number Card?)',
    ja: 'このカードにそのアプリケーションがありません（マイナンバーカードですか？）',
  },
  BAD_DATA: {
    en: 'an EF’s content is not what the layout says',
    ja: 'EFの内容がレイアウトと違います',
  },
  CARD_AP_NOT_FOUND: { en: 'no such card AP on the card', ja: 'そのカードAPはカードにありません' },
  KEYS_REQUIRED: {
    en: 'a protected card AP is read with its key package',
    ja: '保護されたカードAPの読み取りには鍵パッケージが必要です',
  },
  KEYS_REJECTED: {
    en: 'the card AP did not accept the keys (another provider’s card AP)',
    ja: 'カードAPが鍵を受け付けませんでした（他のサービス提供者のカードAP）',
  },
  KEY_PACKAGE_MISMATCH: {
    en: 'the key package is for another AID',
    ja: '鍵パッケージは別のAID用です',
  },
  NO_ISSUER_DOMAIN: {
    en: 'the card has no card issuer security domain (a card file made before issuer operations)',
    ja: 'カードにカード発行者セキュリティドメインがありません（発行者操作に対応する前のカードファイル）',
  },
  ISSUER_KEYS_REJECTED: {
    en: 'the card did not accept the card issuer keys',
    ja: 'カードが発行者鍵を受け付けませんでした',
  },
  KEY_SET_BLOCKED: {
    en: "a security domain's key set is blocked after too many failed authentications",
    ja: '認証の失敗が続いたためセキュリティドメインの鍵がロックされています',
  },
  ISSUER_UPDATE_REFUSED: {
    en: 'the card refused the issuer update; nothing was changed',
    ja: 'カードが発行者更新を拒否しました。何も変更されていません',
  },
  CARD_NOT_GENUINE: {
    en: 'internal authentication failed: not the card its data says',
    ja: '内部認証に失敗しました。読み取ったデータのカードではありません',
  },
  CARD_ERROR: {
    en: 'the card answered an unexpected status word',
    ja: 'カードが想定外の応答を返しました',
  },
});

export type AccessErrorCode = CodeOf<typeof ACCESS_ERRORS>;

export class AccessError extends Error {
  override readonly name = 'AccessError';
  readonly code: AccessErrorCode;
  readonly text: Text;
  /** For PIN_WRONG: tries left after this failure (0 never appears: that is PIN_LOCKED). */
  readonly triesLeft: number | undefined;
  /** The status word behind the failure, when the card sent one. */
  readonly sw: number | undefined;
  constructor(
    code: AccessErrorCode,
    text: Text = ACCESS_ERRORS[code],
    extra: { triesLeft?: number; sw?: number } = {},
  ) {
    super(text.en);
    this.code = code;
    this.text = text;
    this.triesLeft = extra.triesLeft;
    this.sw = extra.sw;
  }
}

export function cardError(sw: number, what: Text): AccessError {
  return new AccessError(
    'CARD_ERROR',
    {
      en: `${what.en}: card answered ${describeStatusWord(sw, 'en')}`,
      ja: `${what.ja}: カードの応答 ${describeStatusWord(sw, 'ja')}`,
    },
    { sw },
  );
}

export function badData(what: Text, detail: string): AccessError {
  return new AccessError('BAD_DATA', {
    en: `${what.en}: unexpected content (${detail})`,
    ja: `${what.ja}: 内容が不正です（${detail}）`,
  });
}
