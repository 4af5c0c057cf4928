/**
 * Typed transport failures. Each has a stable `code` a program can test and a
 * `text` in English and Japanese for the person at the terminal.
 */
import { defineCatalogue, type CodeOf, type Text } from '@myna-ap/text';

/** Every failure code of the transports and what it means. */
export const TRANSPORT_ERRORS = defineCatalogue({
  PCSC_BINDING_MISSING: {
    en: 'the PC/SC binding is not installed',
    ja: 'PC/SC バインディングがインストールされていません',
  },
  PCSC_NOT_RUNNING: {
    en: 'the PC/SC service (pcscd) is not running',
    ja: 'PC/SC サービス (pcscd) が動いていません',
  },
  READER_NOT_FOUND: { en: 'no such card reader', ja: 'カードリーダが見つかりません' },
  NO_CARD: { en: 'no card in the reader', ja: 'カードリーダにカードがありません' },
  CARD_REMOVED: {
    en: 'the card was removed during the command',
    ja: 'コマンドの途中でカードが取り外されました',
  },
  CARD_IN_USE: {
    en: 'the card is in use by another program',
    ja: 'カードは別のプログラムが使用中です',
  },
  CHANNEL_CLOSED: { en: 'the card channel is closed', ja: 'カードとの通信路は閉じられています' },
  VPCD_UNREACHABLE: {
    en: 'the virtual reader (vpcd) cannot be reached',
    ja: '仮想カードリーダ (vpcd) に接続できません',
  },
  PCSC_ERROR: { en: 'PC/SC error', ja: 'PC/SC エラー' },
});

export type TransportErrorCode = CodeOf<typeof TRANSPORT_ERRORS>;

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  readonly text: Text;
  constructor(code: TransportErrorCode, text: Text, options?: { cause?: unknown }) {
    super(text.en, options);
    this.code = code;
    this.text = text;
  }
}

export function bindingMissing(cause?: unknown): TransportError {
  return new TransportError(
    'PCSC_BINDING_MISSING',
    {
      en: 'PC/SC binding not installed: install libpcsclite-dev and run npm ci',
      ja: 'PC/SC バインディングがインストールされていません: libpcsclite-dev を入れて npm ci を実行してください',
    },
    { cause },
  );
}

export function pcscNotRunning(cause?: unknown): TransportError {
  return new TransportError(
    'PCSC_NOT_RUNNING',
    {
      en: 'the PC/SC service (pcscd) is not running: start it with `pcscd` or `systemctl start pcscd.socket`',
      ja: 'PC/SC サービス (pcscd) が動いていません: `pcscd` か `systemctl start pcscd.socket` で起動してください',
    },
    { cause },
  );
}

export function readerNotFound(wanted: string, available: readonly string[]): TransportError {
  const list = available.length > 0 ? available.join(', ') : '-';
  return new TransportError('READER_NOT_FOUND', {
    en: `reader not found: ${wanted} (readers: ${list})`,
    ja: `カードリーダが見つかりません: ${wanted}（接続中のリーダ: ${list}）`,
  });
}

export function noCard(reader: string, cause?: unknown): TransportError {
  return new TransportError(
    'NO_CARD',
    {
      en: `no card in reader ${reader}`,
      ja: `カードリーダ ${reader} にカードがありません`,
    },
    { cause },
  );
}

export function cardRemoved(cause?: unknown): TransportError {
  return new TransportError(
    'CARD_REMOVED',
    {
      en: 'the card was removed during the command; put it back and try again',
      ja: 'コマンドの途中でカードが取り外されました。カードを置き直してやり直してください',
    },
    { cause },
  );
}

export function cardInUse(reader: string, cause?: unknown): TransportError {
  return new TransportError(
    'CARD_IN_USE',
    {
      en: `the card in ${reader} is in use by another program`,
      ja: `${reader} のカードは別のプログラムが使用中です`,
    },
    { cause },
  );
}

export function channelClosed(): TransportError {
  return new TransportError('CHANNEL_CLOSED', {
    en: 'the card channel is closed',
    ja: 'カードとの通信路は閉じられています',
  });
}

export function pcscError(message: string, cause?: unknown): TransportError {
  return new TransportError(
    'PCSC_ERROR',
    { en: `PC/SC error: ${message}`, ja: `PC/SC エラー: ${message}` },
    { cause },
  );
}
