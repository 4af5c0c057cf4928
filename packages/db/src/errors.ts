/**
 * The failures of the database layer: opening a database and migrating it. Each
 * code is declared once here with its HTTP status and both languages; an error
 * instance may carry a more specific text (the directory, the file, the pid).
 */
import { defineCatalogue, type CodeOf, type Text } from '@myna-ap/text';

export const DB_ERRORS = defineCatalogue({
  DATA_DIR_IN_USE: {
    en: 'the embedded database is open in another process',
    ja: '組込みデータベースは別のプロセスが使用中です',
    status: 409,
  },
  DATABASE_URL_INVALID: {
    en: 'DATABASE_URL must start with postgres:// or postgresql://',
    ja: 'DATABASE_URL は postgres:// または postgresql:// で始めてください',
    status: 400,
  },
  MIGRATION_BAD_NAME: {
    en: 'a migration file is not named NNN_name.sql',
    ja: 'マイグレーションの名前が NNN_name.sql の形式ではありません',
    status: 500,
  },
  MIGRATION_DUPLICATE: {
    en: 'two migrations of one owner have the same version',
    ja: '同じ所有者の二つのマイグレーションのバージョンが重複しています',
    status: 500,
  },
  MIGRATION_CHANGED: {
    en: 'a migration was changed after it was applied',
    ja: '適用済みのマイグレーションが変更されています',
    status: 500,
  },
  MIGRATION_OWNER_INVALID: {
    en: 'a migration owner is not a lower-case name, or is given twice',
    ja: 'マイグレーションの所有者名が小文字の名前でないか、二度指定されています',
    status: 500,
  },
});

export type DbErrorCode = CodeOf<typeof DB_ERRORS>;

export class DbError extends Error {
  override readonly name = 'DbError';
  readonly code: DbErrorCode;
  readonly text: Text;
  readonly status: number;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  constructor(code: DbErrorCode, text: Text = DB_ERRORS[code], detail?: Record<string, unknown>) {
    super(`${code}: ${text.en}`);
    this.code = code;
    this.text = text;
    this.status = DB_ERRORS[code].status;
    this.detail = detail;
  }
}
