/** `myna readers`: the PC/SC readers and what is in them. */
import { toHex } from '@myna-ap/apdu';
import { MYNA_ATR } from '@myna-ap/card';
import { TransportError, listReaders } from '@myna-ap/transport';
import { AccessError } from '@myna-ap/access';
import { CliError, type CliCommand } from '../command.ts';
import { currentLang } from '../i18n.ts';

/** Turns the typed errors of transport and access into a user-facing CliError. */
export function asCliError(e: unknown): unknown {
  if (e instanceof TransportError || e instanceof AccessError) return new CliError(e.text);
  return e;
}

export const readersCommands: readonly CliCommand[] = [
  {
    path: ['readers'],
    summary: {
      en: 'list PC/SC card readers, card presence and ATR',
      ja: 'PC/SC カードリーダとカードの有無・ATR を一覧表示',
    },
    usage: '[--json]',
    options: { json: { type: 'boolean' } },
    async run({ values }, io) {
      let readers;
      try {
        readers = await listReaders();
      } catch (e) {
        throw asCliError(e);
      }
      if (values.json) {
        io.out(
          JSON.stringify(
            readers.map((r) => ({ ...r, atr: r.atr ? toHex(r.atr) : null })),
            null,
            2,
          ),
        );
        return 0;
      }
      const ja = currentLang() === 'ja';
      if (readers.length === 0) {
        io.out(ja ? 'カードリーダがありません' : 'no readers');
        return 0;
      }
      const width = Math.max(...readers.map((r) => r.name.length));
      for (const r of readers) {
        const atr = r.atr ? toHex(r.atr).toUpperCase() : '';
        const kind =
          r.atr && toHex(r.atr) === toHex(MYNA_ATR)
            ? ja
              ? '（マイナンバーカード）'
              : ' (My Number Card)'
            : '';
        const state = r.present ? (ja ? 'カードあり' : 'card') : ja ? 'カードなし' : 'empty';
        const busy = r.exclusive ? (ja ? '（使用中）' : ' (in use)') : '';
        io.out(`${r.index}  ${r.name.padEnd(width)}  ${state}${busy}  ${atr}${kind}`.trimEnd());
      }
      return 0;
    },
  },
];
