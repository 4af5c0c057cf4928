/**
 * The library's failure codes, in both languages. The HTTP status is the server's
 * answer; what the counter's screen shows is `message.ja` then `message.en`.
 */
import { appErrorClass, type ListedCatalogue } from '@myna-ap/app-kit';
import { defineCatalogue, type CodeOf } from '@myna-ap/text';

export const LIBRARY_ERRORS = defineCatalogue({
  RULES_INVALID: { en: 'the library’s rules are not valid', ja: '図書館の設定が正しくありません' },
  HOLDER_INVALID: {
    status: 400,
    en: 'a holder needs a name (1–100 characters) and a contact (phone or e-mail, 1–100)',
    ja: '利用者の氏名（1〜100文字）と連絡先（電話番号またはメール、1〜100文字）が必要です',
  },
  ALREADY_REGISTERED: {
    status: 409,
    en: 'this card is already registered',
    ja: 'このカードは登録済みです',
  },
  POSSIBLY_REGISTERED: {
    status: 409,
    en: 'a holder with this name and contact is already registered: if it is the same person (a new card, or the card AP loaded again), move the registration to this card',
    ja: '同じ氏名・連絡先の利用者が登録済みです。同じ方（カードの再発行・カードAPの再搭載）であれば、登録をこのカードに移してください',
  },
  HOLDER_MISMATCH: {
    status: 409,
    en: 'that holder is registered under another name: check the holder number',
    ja: 'その利用者番号は別の氏名で登録されています。利用者番号を確認してください',
  },
  HOLDER_UNKNOWN: { status: 404, en: 'no such holder', ja: 'その利用者は登録されていません' },
  CARD_NOT_REGISTERED: {
    status: 404,
    en: 'this card is not registered with the library: register the holder first',
    ja: 'このカードは図書館に登録されていません。先に利用登録をしてください',
  },
  CARD_RETIRED: {
    status: 403,
    en: 'this card’s registration was moved to another card: use the holder’s current card',
    ja: 'このカードの登録は別のカードに移されています。現在のカードをお使いください',
  },
  CARD_LOST: {
    status: 403,
    en: 'this card was reported lost: no lending. Ask the holder for identification; after a new card, move the registration to it',
    ja: 'このカードは紛失の届出がされています。貸出できません。ご本人確認のうえ、新しいカードに登録を移してください',
  },
  CARD_SUSPENDED: {
    status: 403,
    en: 'this card is suspended: no lending until it is active again',
    ja: 'このカードは一時停止中です。再開されるまで貸出できません',
  },
  CARD_REVOKED: {
    status: 403,
    en: 'this card is revoked (失効・廃止): no lending; after a new card, move the registration to it',
    ja: 'このカードは失効しています。貸出できません。新しいカードに登録を移してください',
  },
  CARD_AP_MISSING: {
    status: 404,
    en: 'the library’s card AP is not on this card: it is loaded at the counter (カードAP搭載) first',
    ja: 'このカードには図書館のカードAPが搭載されていません。先に窓口でカードAPを搭載してください',
  },
  CARD_READ_FAILED: {
    status: 503,
    en: 'the card could not be read: touch it again',
    ja: 'カードを読み取れませんでした。もう一度タッチしてください',
  },
  BOOK_INVALID: {
    status: 400,
    en: 'a book ID is 1–32 letters, digits or -; a title 1–200 characters',
    ja: '資料IDは英数字と - の1〜32文字、書名は1〜200文字です',
  },
  BOOK_UNKNOWN: { status: 404, en: 'no such book', ja: 'その資料は登録されていません' },
  BOOK_EXISTS: { status: 409, en: 'the book ID is already used', ja: 'その資料IDは登録済みです' },
  BOOK_ON_LOAN: {
    status: 409,
    en: 'the book is on loan: return it first',
    ja: 'その資料は貸出中です。先に返却してください',
  },
  BOOK_NOT_ON_LOAN: {
    status: 409,
    en: 'the book is not on loan',
    ja: 'その資料は貸出中ではありません',
  },
  LOAN_LIMIT: {
    status: 409,
    en: 'over the number of books a holder may borrow',
    ja: '貸出冊数の上限を超えます',
  },
  OVERDUE_HELD: {
    status: 409,
    en: 'the holder has overdue books: return them before borrowing more',
    ja: '返却期限を過ぎた資料があります。返却してから借りてください',
  },
  BAD_REQUEST: { status: 400, en: 'the request is not valid', ja: 'リクエストが正しくありません' },
  LOADER_FEED_FAILED: {
    status: 502,
    en: 'the loading system’s status feed could not be read',
    ja: 'カードAP搭載システムのステータス情報を取得できません',
  },
});

export type LibraryErrorCode = CodeOf<typeof LIBRARY_ERRORS>;

export class LibraryError extends appErrorClass('LibraryError', LIBRARY_ERRORS) {}

/** The codes as docs/errors.md lists them (`npm run errors-doc`). */
export const LIBRARY_ERRORS_LISTED: ListedCatalogue = {
  pkg: '@myna-ap/library',
  source: 'apps/library/src/errors.ts',
  about: 'the library’s counter: holders, lending, cards (LibraryError)',
  catalogue: LIBRARY_ERRORS,
};
