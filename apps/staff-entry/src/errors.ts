/**
 * The staff entry system's failure codes, in both languages. The HTTP status is the
 * server's answer; what a door terminal or the admin page shows is `message.ja` then
 * `message.en`.
 */
import { appErrorClass, type ListedCatalogue } from '@myna-ap/app-kit';
import { defineCatalogue, type CodeOf } from '@myna-ap/text';

export const STAFF_ERRORS = defineCatalogue({
  RULE_INVALID: {
    status: 400,
    en: 'a permission needs a door, days of the week (0 = Sunday … 6) and hours HH:MM–HH:MM',
    ja: '入室権限には扉・曜日（0＝日曜〜6）・時間帯（HH:MM〜HH:MM）が必要です',
  },
  STAFF_INVALID: {
    status: 400,
    en: 'a staff member needs a staff number (1–16 letters, digits or -) and a name (1–100 characters)',
    ja: '職員には職員番号（英数字と - の1〜16文字）と氏名（1〜100文字）が必要です',
  },
  STAFF_EXISTS: {
    status: 409,
    en: 'that staff number is already used',
    ja: 'その職員番号は登録済みです',
  },
  STAFF_UNKNOWN: { status: 404, en: 'no such staff member', ja: 'その職員は登録されていません' },
  CARD_IN_USE: {
    status: 409,
    en: 'this card AP is already registered to a staff member',
    ja: 'このカードAPは別の職員に登録済みです',
  },
  DOOR_INVALID: {
    status: 400,
    en: 'a door needs an ID (1–32 letters, digits or -), a name, and a level (low or secure)',
    ja: '扉には扉ID（英数字と - の1〜32文字）・名称・区分（low または secure）が必要です',
  },
  DOOR_EXISTS: { status: 409, en: 'that door ID is already used', ja: 'その扉IDは登録済みです' },
  DOOR_UNKNOWN: { status: 404, en: 'no such door', ja: 'その扉は登録されていません' },
  CARD_NOT_REGISTERED: {
    status: 403,
    en: 'this card is not a registered staff card',
    ja: 'このカードは職員証として登録されていません',
  },
  CARD_MISMATCH: {
    status: 403,
    en: 'the two card APs read are not of the same staff card',
    ja: '読み取ったカードAPが同じ職員証のものではありません',
  },
  CARD_LOST: {
    status: 403,
    en: 'this card was reported lost: entry refused. Ask the administrator for a new staff card',
    ja: 'このカードは紛失の届出がされています。入室できません。管理者に職員証の再発行を申し出てください',
  },
  CARD_SUSPENDED: {
    status: 403,
    en: 'this card is suspended: entry refused until it is active again',
    ja: 'このカードは一時停止中です。再開されるまで入室できません',
  },
  CARD_REVOKED: {
    status: 403,
    en: 'this card is revoked (失効・廃止): entry refused',
    ja: 'このカードは失効しています。入室できません',
  },
  NO_PERMISSION: {
    status: 403,
    en: 'no permission for this door',
    ja: 'この扉の入室権限がありません',
  },
  OUTSIDE_HOURS: {
    status: 403,
    en: 'outside the hours permitted for this door',
    ja: 'この扉に入室できる時間帯ではありません',
  },
  PIN_NEEDED: {
    status: 403,
    en: 'this is a secure room: enter the card AP PIN at the door',
    ja: 'セキュリティ区画です。扉の端末でカードAPのPINを入力してください',
  },
  PIN_WRONG: {
    status: 403,
    en: 'wrong PIN: entry refused',
    ja: 'PINが違います。入室できません',
  },
  PIN_LOCKED: {
    status: 403,
    en: 'the card AP PIN is locked (no tries left): entry refused. Ask the administrator to have it reset through the loading system',
    ja: 'カードAPのPINがロックされています。入室できません。管理者にPINの初期化（カードAP搭載システム）を依頼してください',
  },
  CARD_READ_FAILED: {
    status: 503,
    en: 'the card could not be read: touch it again',
    ja: 'カードを読み取れませんでした。もう一度タッチしてください',
  },
  CARD_AP_MISSING: {
    status: 404,
    en: 'the staff card AP is not on this card',
    ja: 'このカードには職員証のカードAPが搭載されていません',
  },
  TERMINAL_AUTH: {
    status: 401,
    en: 'a door terminal needs its token (Authorization: Bearer)',
    ja: '扉の端末にはトークンが必要です（Authorization: Bearer）',
  },
  BAD_REQUEST: { status: 400, en: 'the request is not valid', ja: 'リクエストが正しくありません' },
  LOADER_FEED_FAILED: {
    status: 502,
    en: 'the loading system’s status feed could not be read',
    ja: 'カードAP搭載システムのステータス情報を取得できません',
  },
});

export type StaffErrorCode = CodeOf<typeof STAFF_ERRORS>;

export class StaffError extends appErrorClass('StaffError', STAFF_ERRORS) {}

/** The codes as docs/errors.md lists them (`npm run errors-doc`). */
export const STAFF_ERRORS_LISTED: ListedCatalogue = {
  pkg: '@myna-ap/staff-entry',
  source: 'apps/staff-entry/src/errors.ts',
  about: 'staff entry: staff, doors, permissions, door terminals (StaffError)',
  catalogue: STAFF_ERRORS,
};
