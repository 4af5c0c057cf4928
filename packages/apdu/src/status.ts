/** ISO/IEC 7816-4 status words (clause 5.6), with readable English and Japanese names. */

/** A status word SW1-SW2 as one 16-bit number, e.g. `0x9000`. */
export type StatusWord = number & { readonly __brand?: 'StatusWord' };

/** The status words the card and hosts of myna-ap use, by name. */
export const SW = {
  OK: 0x9000,
  /** 63 Cx: verification failed, x tries left (use `swTriesLeft`). */
  VERIFY_FAILED: 0x63c0,
  WARNING_NO_INFO: 0x6300,
  EXEC_ERROR_MEMORY: 0x6581,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  COMMAND_INCOMPATIBLE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_EF: 0x6986,
  SM_DATA_MISSING: 0x6987,
  SM_DATA_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  FILE_ALREADY_EXISTS: 0x6a89,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  /** 62 82: end of file reached before Ne bytes (READ BINARY short read, allowed). */
  END_OF_FILE: 0x6282,
  /** 62 83: selected file or application deactivated (a card AP being installed). */
  FILE_DEACTIVATED: 0x6283,
  /** 63 10: more data available (GlobalPlatform GET STATUS, ask again with P2 = 01). */
  MORE_DATA: 0x6310,
  /** 64 00: execution error, state of non-volatile memory unchanged (torn write undone). */
  EXEC_ERROR_UNCHANGED: 0x6400,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  COMMAND_CHAINING_NOT_SUPPORTED: 0x6884,
  /** 69 83: authentication method blocked (ISO 7816-4; some cards use it for a locked PIN). */
  PIN_BLOCKED: 0x6983,
  /** 69 84: reference data not usable — the My Number Card's answer for a locked PIN. */
  PIN_LOCKED: 0x6984,
  NC_INCONSISTENT_WITH_TLV: 0x6a85,
  NC_INCONSISTENT_WITH_P1P2: 0x6a87,
  DF_NAME_ALREADY_EXISTS: 0x6a8a,
} as const;

const NAMES: Record<number, readonly [en: string, ja: string]> = {
  0x9000: ['success', '正常終了'],
  0x6281: ['part of the returned data may be corrupted', '応答データの一部が破損の可能性'],
  0x6282: ['end of file reached before reading Ne bytes', 'Ne バイト読む前にファイル終端'],
  0x6283: [
    'selected file or application deactivated',
    '選択したファイル／アプリケーションは無効化中',
  ],
  0x6300: ['warning: no information given', '警告（情報なし）'],
  0x6310: ['more data available', '続きのデータあり'],
  0x6400: ['execution error, memory unchanged', '実行エラー（不揮発メモリ変更なし）'],
  0x6581: ['memory failure', 'メモリ障害'],
  0x6700: ['wrong length', 'Lc/Le 不正'],
  0x6881: ['logical channel not supported', '論理チャネル未対応'],
  0x6882: ['secure messaging not supported', 'セキュアメッセージング未対応'],
  0x6883: ['last command of the chain expected', 'チェーンの最終コマンドが必要'],
  0x6884: ['command chaining not supported', 'コマンドチェーン未対応'],
  0x6981: ['command incompatible with file structure', 'ファイル構造と矛盾'],
  0x6982: ['security status not satisfied', 'セキュリティステータス不成立'],
  0x6983: ['authentication method blocked (PIN locked)', '認証方法ブロック（暗証番号ロック）'],
  0x6984: ['reference data not usable (PIN locked)', '参照データ使用不可（暗証番号ロック）'],
  0x6985: ['conditions of use not satisfied', '使用条件不成立'],
  0x6986: ['command not allowed (no current EF)', 'カレントEFなし'],
  0x6987: ['expected secure messaging data objects missing', 'SMデータオブジェクトなし'],
  0x6988: ['incorrect secure messaging data objects', 'SMデータオブジェクト不正'],
  0x6a80: ['incorrect parameters in the data field', 'データフィールド不正'],
  0x6a81: ['function not supported', '機能未対応'],
  0x6a82: ['file or application not found', 'ファイル／アプリケーションなし'],
  0x6a83: ['record not found', 'レコードなし'],
  0x6a84: ['not enough memory space', '空き容量不足'],
  0x6a85: ['Nc inconsistent with the TLV structure', 'Lc と TLV 構造が矛盾'],
  0x6a86: ['incorrect parameters P1-P2', 'P1-P2 不正'],
  0x6a87: ['Nc inconsistent with P1-P2', 'Lc と P1-P2 が矛盾'],
  0x6a88: ['referenced data not found', '参照データなし'],
  0x6a89: ['file already exists', 'ファイルが既に存在'],
  0x6a8a: ['DF name already exists', 'DF名が既に存在'],
  0x6b00: ['wrong parameters P1-P2 (offset outside the EF)', 'P1-P2 不正（EF範囲外）'],
  0x6d00: ['instruction not supported', 'INS 未対応'],
  0x6e00: ['class not supported', 'CLA 未対応'],
  0x6f00: ['no precise diagnosis', '詳細不明のエラー'],
};

/** True for any SW1-SW2 a card may legally send (ISO 7816-3: SW1 is 6X or 9X, not 60). */
export function isValidStatusWord(sw: number): boolean {
  const sw1 = sw >>> 8;
  return (
    Number.isInteger(sw) &&
    sw >= 0 &&
    sw <= 0xffff &&
    ((sw1 & 0xf0) === 0x60 || (sw1 & 0xf0) === 0x90) &&
    sw1 !== 0x60
  );
}

/** For `63 Cx`, the retry counter x; otherwise `undefined`. */
export function swTriesLeft(sw: number): number | undefined {
  return (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined;
}

/** A readable description, e.g. `6A82 file or application not found`. */
export function describeStatusWord(sw: number, lang: 'en' | 'ja' = 'en'): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  const tries = swTriesLeft(sw);
  if (tries !== undefined) {
    return lang === 'ja'
      ? `${hex} 照合不一致（残り${tries}回）`
      : `${hex} verification failed, ${tries} ${tries === 1 ? 'try' : 'tries'} left`;
  }
  if ((sw & 0xff00) === 0x6100) {
    return lang === 'ja'
      ? `${hex} 応答データ残り${sw & 0xff}バイト`
      : `${hex} ${sw & 0xff} response bytes still available`;
  }
  if ((sw & 0xff00) === 0x6c00) {
    return lang === 'ja'
      ? `${hex} Le 不正（正しくは${sw & 0xff}）`
      : `${hex} wrong Le, exact length is ${sw & 0xff}`;
  }
  const n = NAMES[sw];
  if (n) return `${hex} ${lang === 'ja' ? n[1] : n[0]}`;
  return `${hex} ${lang === 'ja' ? '不明なステータス' : 'unknown status'}`;
}

/** The status word as a `{ en, ja }` message, for errors a user sees. */
export function statusWordMessage(sw: number): { en: string; ja: string } {
  return { en: describeStatusWord(sw, 'en'), ja: describeStatusWord(sw, 'ja') };
}
