/**
 * マイタク's failure codes, in both languages (docs/errors.md lists every catalogue).
 * The HTTP status is the city server's answer for the codes it serves.
 */
import { appErrorClass, type ListedCatalogue } from '@myna-ap/app-kit';
import { defineCatalogue, type CodeOf } from '@myna-ap/text';

export const TAXI_ERRORS = defineCatalogue({
  RULES_INVALID: { en: 'the taxi rules are not valid', ja: 'マイタクの設定が正しくありません' },
  RIDE_INVALID: { status: 400, en: 'the ride is not valid', ja: '乗車の内容が正しくありません' },
  CARD_COUNTER_INVALID: {
    en: 'the card’s ride counter cannot be read',
    ja: 'カードの利用回数を読めません',
  },
  OUTSIDE_CITY: {
    en: 'neither boarding nor alighting is inside the city: no subsidy',
    ja: '乗車地・降車地のどちらも市外のため、補助の対象外です',
  },
  DAILY_LIMIT: {
    en: 'the day’s rides are used up',
    ja: '本日の利用回数の上限に達しています',
  },
  YEARLY_LIMIT: {
    en: 'the year’s rides are used up',
    ja: '今年度の利用回数の上限に達しています',
  },
  CARD_NOT_COUNTED: {
    en: 'the card left the reader before the ride was counted: the ride is voided, touch again',
    ja: '利用回数を記録する前にカードが離れました。この乗車は取り消しました。もう一度タッチしてください',
  },
  RIDE_LOG_CORRUPT: {
    en: 'the terminal’s ride log has a damaged line before its end',
    ja: '端末の乗車記録の途中に壊れた行があります',
  },
  TERMINAL_UNKNOWN: {
    status: 404,
    en: 'no such terminal is registered with the city',
    ja: 'この端末は市に登録されていません',
  },
  SIGNATURE_INVALID: {
    status: 400,
    en: 'a ride record’s signature does not verify with the terminal’s key',
    ja: '乗車記録の署名が端末の鍵で検証できません',
  },
  HOLDER_INVALID: {
    status: 400,
    en: 'a user ID is 13 bytes in hex (26 digits)',
    ja: '利用者IDは13バイト（16進数26桁）です',
  },
  PERIOD_INVALID: {
    status: 400,
    en: 'the period is two days YYYY-MM-DD, from ≤ to',
    ja: '期間は YYYY-MM-DD の2つの日付（開始 ≤ 終了）で指定してください',
  },
  BAD_REQUEST: { status: 400, en: 'the request is not valid', ja: 'リクエストが正しくありません' },
  CITY_UNREACHABLE: {
    en: 'the city’s server did not answer: the rides stay on the terminal until the next sync',
    ja: '市のサーバに接続できません。乗車記録は次の同期まで端末に残ります',
  },
  LOADER_FEED_FAILED: {
    en: 'the loading system’s status feed could not be read',
    ja: 'カードAP搭載システムのステータス情報を取得できません',
  },
});

export type TaxiErrorCode = CodeOf<typeof TAXI_ERRORS>;

export class TaxiError extends appErrorClass('TaxiError', TAXI_ERRORS) {}

/** The codes as docs/errors.md lists them (`npm run errors-doc`). */
export const TAXI_ERRORS_LISTED: ListedCatalogue = {
  pkg: '@myna-ap/taxi',
  source: 'apps/taxi/src/errors.ts',
  about: 'マイタク: registration, the in-car terminal, sync and settlement (TaxiError)',
  catalogue: TAXI_ERRORS,
};
