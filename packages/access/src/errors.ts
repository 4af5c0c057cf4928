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
  // --- the card AP access module, as a business system meets them ---
  NO_READER: {
    en: 'no card reader (or the PC/SC service is not running)',
    ja: 'カードリーダがありません（またはPC/SCサービスが動いていません）',
  },
  NO_CARD: { en: 'no card in the reader', ja: 'カードリーダにカードがありません' },
  CARD_REMOVED: {
    en: 'the card was taken away before the operation ended; touch it again',
    ja: '操作の途中でカードが離れました。もう一度かざしてください',
  },
  KEY_PACKAGE_INVALID: {
    en: 'the key package file is not a valid key package',
    ja: '鍵パッケージのファイルが正しい形式ではありません',
  },
  KEY_PACKAGE_EXPOSED: {
    en: 'the key package file may be read by other users (make it mode 0600)',
    ja: '鍵パッケージのファイルを他の利用者が読めます（権限を0600にしてください）',
  },
  WRITE_NOT_ALLOWED: {
    en: 'this card AP type does not allow this write',
    ja: 'このタイプのカードAPにはこの書き込みはできません',
  },
  WRITE_TOO_LARGE: {
    en: 'the write does not fit the card AP, or not one command',
    ja: '書き込むデータがカードAPまたは1コマンドに収まりません',
  },
  PIN_CHANGE_NOT_ALLOWED: {
    en: 'this card AP has no PIN the holder can change (none, or system-fixed)',
    ja: 'このカードAPには本人が変更できるPINがありません（PINなし、またはシステム固定）',
  },
  CARD_LOST: {
    en: 'the card was reported lost (status feed)',
    ja: 'このカードは紛失の届出があります（状態フィード）',
  },
  CARD_SUSPENDED: {
    en: 'the card is suspended (status feed)',
    ja: 'このカードは一時停止されています（状態フィード）',
  },
  CARD_REVOKED: {
    en: 'the card is revoked (status feed)',
    ja: 'このカードは廃止（失効）されています（状態フィード）',
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
    extra: { triesLeft?: number; sw?: number; cause?: unknown } = {},
  ) {
    super(text.en, extra.cause === undefined ? undefined : { cause: extra.cause });
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
