/** The terminal agent's failures, in both languages (docs/errors.md). */
import { defineCatalogue, type CodeOf, type Text } from '@myna-ap/text';

export const TERMINAL_ERRORS = defineCatalogue({
  IDENTITY_MISSING: {
    en: 'this terminal has not enrolled: run `myna terminal enrol` first',
    ja: 'この端末は登録されていません。先に `myna terminal enrol` を実行してください',
  },
  IDENTITY_EXISTS: {
    en: 'this terminal has a key pair already (enrol again with --force to replace it)',
    ja: 'この端末には既に鍵ペアがあります（置き換えるには --force を付けて登録し直してください）',
  },
  IDENTITY_INVALID: {
    en: "the terminal's identity files cannot be read",
    ja: '端末の識別情報ファイルを読めません',
  },
  ENROL_REFUSED: {
    en: 'the server refused the enrolment',
    ja: 'サーバが登録を拒否しました',
  },
  SERVER_UNREACHABLE: {
    en: 'the server cannot be reached',
    ja: 'サーバに接続できません',
  },
});

export type TerminalErrorCode = CodeOf<typeof TERMINAL_ERRORS>;

export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code: TerminalErrorCode;
  readonly text: Text;
  constructor(
    code: TerminalErrorCode,
    text: Text = TERMINAL_ERRORS[code],
    options?: { cause?: unknown },
  ) {
    super(text.en, options);
    this.code = code;
    this.text = text;
  }
}
