/**
 * One error class for every business system: an app declares its codes with
 * `defineCatalogue` (both languages, the HTTP status) and gets its class from
 * `appErrorClass`, so `throw new LibraryError('BOOK_UNKNOWN')` carries the code, the
 * text and the status, and the kit's server answers any of them the same way.
 */
import {
  defineCatalogue,
  type Catalogue,
  type CatalogueEntry,
  type CodeOf,
  type Text,
} from '@myna-ap/text';
import type { ListedCatalogue } from './errorsDoc.ts';

/** A refusal of a business system: a stable code, what to tell people, the HTTP status. */
export class AppError<C extends string = string> extends Error {
  readonly code: C;
  readonly text: Text;
  readonly status: number;
  constructor(code: C, text: Text, status: number) {
    super(`${code}: ${text.en}`);
    this.code = code;
    this.text = text;
    this.status = status;
  }
}

/**
 * The error class of one catalogue: `new X(code)` says the catalogue's text, `new
 * X(code, text)` a more specific one; the status is the code's (500 when it has none).
 */
export function appErrorClass<const Cat extends Catalogue>(name: string, catalogue: Cat) {
  return class extends AppError<CodeOf<Cat>> {
    constructor(code: CodeOf<Cat>, text?: Text) {
      const entry = catalogue[code] as CatalogueEntry;
      super(code, text ?? { en: entry.en, ja: entry.ja }, entry.status ?? 500);
      this.name = name;
    }
  };
}

/** The kit's own codes: what every app's server and staff sign-in may answer. */
export const KIT_ERRORS = defineCatalogue({
  BAD_REQUEST: { status: 400, en: 'the request is not valid', ja: 'リクエストが正しくありません' },
  NOT_FOUND: { status: 404, en: 'no such page', ja: 'ページがありません' },
  INTERNAL: { status: 500, en: 'internal error', ja: 'サーバ内部のエラーです' },
  STAFF_AUTH: {
    status: 401,
    en: 'staff pages need a staff account: sign in with your login name and password',
    ja: '職員用ページには職員アカウントが必要です。ログイン名とパスワードを入力してください',
  },
  STAFF_LOCKED: {
    status: 423,
    en: 'this staff account is locked after too many wrong passwords: try again later, or ask an administrator',
    ja: 'パスワードの誤りが続いたため、この職員アカウントはロックされています。時間をおくか管理者に連絡してください',
  },
  STAFF_ROLE: {
    status: 403,
    en: 'your role may not do this: ask a staff member with the right role',
    ja: 'この操作はあなたの役割では行えません。権限のある職員に依頼してください',
  },
  STAFF_ACCOUNT_INVALID: {
    status: 400,
    en: 'a staff account needs a login name (1–32 letters, digits, . _ -), a role of this system and a password of 12 characters or more',
    ja: '職員アカウントには、ログイン名（英数字と . _ - の1〜32文字）、このシステムの役割、12文字以上のパスワードが必要です',
  },
  STAFF_ACCOUNT_EXISTS: {
    status: 409,
    en: 'that login name is already used',
    ja: 'そのログイン名は使用されています',
  },
  STAFF_ACCOUNT_UNKNOWN: {
    status: 404,
    en: 'no such staff account',
    ja: 'その職員アカウントはありません',
  },
  STAFF_LAST_ADMIN: {
    status: 409,
    en: 'this is the last active administrator: add another administrator first',
    ja: '有効な管理者がこのアカウントだけです。先に別の管理者を追加してください',
  },
  STAFF_AUDIT_APPEND_ONLY: {
    en: 'the staff audit trail is append-only: rows are never changed or deleted',
    ja: '職員操作の監査記録は追記のみです。変更・削除はできません',
  },
});

export type KitErrorCode = CodeOf<typeof KIT_ERRORS>;

export class KitError extends appErrorClass('KitError', KIT_ERRORS) {}

/** The kit's codes as docs/errors.md lists them. */
export const KIT_ERRORS_LISTED: ListedCatalogue = {
  pkg: '@myna-ap/app-kit',
  source: 'apps/kit/src/errors.ts',
  about: 'what every business system’s server and staff sign-in answer (KitError)',
  catalogue: KIT_ERRORS,
};
