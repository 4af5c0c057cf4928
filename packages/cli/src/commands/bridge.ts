/**
 * `myna bridge`: the holder's card bridge on 127.0.0.1 (packages/idp/src/bridge,
 * the かざし利用クライアントソフト analog) for pages of the allowed origins — the
 * identity platform's sign-in page by default. The card is an emulated card file
 * (`--card FILE`, in this process; PIN counters saved back to the file) or a PC/SC
 * reader (`--reader N|NAME`, default: the first reader with a card). 券面事項確認AP
 * internal authentication checks cards against `--card-issuer-cert FILE` (the card
 * issuer's published certificate), else this machine's card issuer (the one
 * `myna card create` signs with).
 */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { InProcessChannel, type CardChannel } from '@myna-ap/transport';
import type { Card } from '@myna-ap/card';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { t } from '../i18n.ts';
import { int, str, strs, untilSignal } from './serve.ts';
import { IDP_PORT } from './idp.ts';

/** The platform's own sign-in pages: `myna idp serve` and `myna serve --idp`. */
export const DEFAULT_ORIGINS = [`http://127.0.0.1:${IDP_PORT}`, 'http://127.0.0.1:8380'];

/** The card file, read for each operation and written back after it (its PIN counters too). */
async function fileSource(file: string) {
  const { loadCardFile, saveCardFile, CardImageError } = await import('@myna-ap/card');
  const load = async () => {
    try {
      return await loadCardFile(file);
    } catch (e) {
      throw e instanceof CardImageError ? new CliError(e.text) : e;
    }
  };
  await load(); // a missing or broken file is told at start
  const cards = new WeakMap<CardChannel, Card>();
  return {
    async open(): Promise<CardChannel> {
      const card = await load();
      const channel = new InProcessChannel(card);
      cards.set(channel, card);
      return channel;
    },
    async release(channel: CardChannel, changed: boolean) {
      await channel.close();
      const card = cards.get(channel);
      // A PIN try spent (or reset by the right PIN) is the card's state: keep it.
      if (card && changed) await saveCardFile(file, card);
    },
  };
}

/** The card issuer's published certificate from a file, or this machine's card issuer's key. */
async function cardIssuerKey(file: string | undefined): Promise<Uint8Array | KeyObject> {
  if (file === undefined) {
    const { openOrCreateCardIssuer, defaultCardIssuerDir } = await import('@myna-ap/card');
    return (await openOrCreateCardIssuer(defaultCardIssuerDir())).publicKey;
  }
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new CliError({
      en: `--card-issuer-cert ${file}: cannot read it (${(e as Error).message})`,
      ja: `--card-issuer-cert ${file} を読めません`,
    });
  }
}

/** `myna bridge` up to listening (the command then waits for Ctrl-C): tests call it. */
export async function startBridge(values: Record<string, unknown>, io: CliIo) {
  const { CardBridge, startBridgeServer, pcscSource, normaliseOrigin, BRIDGE_PORT } =
    await import('@myna-ap/idp/bridge');
  const port = int(values.port, 'port') ?? BRIDGE_PORT;
  if (port > 65535)
    throw new CliError({ en: '--port must be 0..65535', ja: '--port は 0〜65535 です' }, 2);
  const file = str(values.card);
  if (file && values.reader !== undefined) {
    throw new CliError(
      { en: 'give --card or --reader, not both', ja: '--card と --reader はどちらか一方です' },
      2,
    );
  }
  const given = strs(values['allow-origin']);
  const origins = given.length ? given : DEFAULT_ORIGINS;
  for (const o of origins) {
    try {
      normaliseOrigin(o);
    } catch {
      throw new CliError(
        {
          en: `--allow-origin ${o}: an origin is scheme://host[:port], nothing after it`,
          ja: `--allow-origin ${o}: オリジンは scheme://host[:port] です（パスなし）`,
        },
        2,
      );
    }
  }
  const source = file ? await fileSource(file) : pcscSource(str(values.reader));
  const cardIssuer = await cardIssuerKey(str(values['card-issuer-cert']));
  let server;
  try {
    server = await startBridgeServer({
      bridge: new CardBridge(source, { cardIssuer }),
      allowedOrigins: origins,
      port,
      ...(values.verbose ? { log: (l: string) => io.err(l) } : {}),
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      throw new CliError({
        en: `port ${port} is in use: is a bridge already running? (or try --port)`,
        ja: `ポート ${port} は使用中です。ブリッジが既に起動していませんか（--port で変更できます）`,
      });
    }
    throw e;
  }
  io.out(
    t({
      en: `myna bridge on ${server.url} — card: ${file ? `the card file ${file}` : 'the PC/SC reader'}; pages allowed: ${origins.join(' ')}${given.length ? '' : ' (the platform’s own; --allow-origin for others)'}`,
      ja: `myna ブリッジ: ${server.url} — カード: ${file ? `カードファイル ${file}` : 'PC/SC カードリーダ'}、許可するページ: ${origins.join(' ')}${given.length ? '' : '（認証基盤のページ。他は --allow-origin）'}`,
    }),
  );
  return server;
}

const bridge: CliCommand = {
  path: ['bridge'],
  summary: {
    en: 'run the holder’s card bridge on 127.0.0.1 for the sign-in page (card file or PC/SC reader)',
    ja: 'サインインページ用のカード連携（ブリッジ）を 127.0.0.1 で起動（カードファイルまたは PC/SC リーダ）',
  },
  usage:
    '[--card FILE | --reader N|NAME] [--card-issuer-cert FILE] [--port N] [--allow-origin URL]... [--verbose]',
  options: {
    card: { type: 'string' },
    reader: { type: 'string' },
    'card-issuer-cert': { type: 'string' },
    port: { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    verbose: { type: 'boolean' },
  },
  async run({ values }, io) {
    const server = await startBridge(values, io);
    await untilSignal();
    await server.close();
    return 0;
  },
};

export const bridgeCommands: readonly CliCommand[] = [bridge];
