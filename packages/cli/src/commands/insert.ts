/**
 * `myna card insert FILE [--reader N]`: puts a card file into vpcd's virtual
 * reader N (pcscd then lists it like a real card) until Ctrl-C. Whatever the
 * card writes (PIN counters, loaded card APs) is saved back to FILE atomically
 * each time `card.generation` moves.
 */
import { CardImageError, loadCardFile, saveCardImage, type Card } from '@myna-ap/card';
import {
  QUICKACK_COMMAND,
  VpcdBridge,
  ensureLoopbackQuickack,
  loopbackQuickackState,
  type VpcdBridgeState,
} from '@myna-ap/transport';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { t } from '../i18n.ts';
import { asCliError } from './readers.ts';

export interface InsertOptions {
  readonly reader: number;
  /** Set `quickack` on the loopback route first (root). */
  readonly quickack?: boolean;
  /** Aborting takes the card out; the promise resolves once the last save is on disk. */
  readonly signal: AbortSignal;
  readonly io: CliIo;
  /** Called once the card is in the reader (tests wait on it). */
  readonly onReady?: (card: Card, bridge: VpcdBridge) => void;
}

/** Saves the card whenever its generation moves; one write at a time, the latest image wins. */
export class CardSaver {
  #saved: number;
  #running: Promise<void> | undefined;
  #again = false;
  #error: unknown;

  constructor(
    readonly path: string,
    readonly card: Card,
  ) {
    this.#saved = card.generation;
  }

  /** Call after anything that may have changed the card. */
  poke(): void {
    if (this.card.generation === this.#saved) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => (this.#running = undefined));
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      const gen = this.card.generation;
      const image = this.card.image;
      try {
        await saveCardImage(this.path, image);
        this.#saved = gen;
      } catch (e) {
        this.#error = e;
        return;
      }
    } while (this.#again || this.card.generation !== this.#saved);
  }

  /** Waits for pending writes; throws the first save failure, if any. */
  async flush(): Promise<void> {
    this.poke();
    while (this.#running) await this.#running;
    if (this.#error) throw this.#error;
  }

  get savedGeneration(): number {
    return this.#saved;
  }
}

const STATE_TEXT: Record<VpcdBridgeState, { en: string; ja: string }> = {
  connecting: { en: 'connecting to vpcd…', ja: 'vpcd に接続しています…' },
  connected: { en: 'card is in the reader', ja: 'カードをリーダに挿入しました' },
  disconnected: {
    en: 'vpcd went away (pcscd restarted?); reconnecting',
    ja: 'vpcd との接続が切れました（pcscd の再起動？）。再接続します',
  },
  stopped: { en: 'card removed', ja: 'カードを取り出しました' },
};

export async function insertCard(file: string, opts: InsertOptions): Promise<void> {
  const { io } = opts;
  let card: Card;
  try {
    card = await loadCardFile(file);
  } catch (e) {
    throw e instanceof CardImageError ? new CliError(e.text) : e;
  }
  if (opts.quickack) {
    const q = await ensureLoopbackQuickack();
    if (q.state === 'unavailable') {
      io.err(
        t({ en: `quickack not set (${q.reason})`, ja: `quickack を設定できません（${q.reason}）` }),
      );
    }
  } else if (process.platform === 'linux' && !(await loopbackQuickackState().catch(() => true))) {
    io.err(
      t({
        en: `hint: each APDU waits ~40 ms for a delayed ACK; as root run once: ${QUICKACK_COMMAND}`,
        ja: `ヒント: APDU ごとに遅延ACKで約40msかかります。root で一度実行してください: ${QUICKACK_COMMAND}`,
      }),
    );
  }
  const saver = new CardSaver(file, card);
  const name = `Virtual PCD 00 ${String(opts.reader).padStart(2, '0')}`;
  let everConnected = false;
  const bridge = new VpcdBridge(card, {
    reader: opts.reader,
    onApdu: () => saver.poke(),
    onState: (s) => {
      if (s === 'connected') everConnected = true;
      if (s !== 'connecting' && everConnected) io.out(`${name}: ${t(STATE_TEXT[s])}`);
      // Powering down (vpcd gone) can change nothing persistent, but costs nothing to check.
      saver.poke();
    },
  });
  try {
    await bridge.start();
  } catch (e) {
    throw asCliError(e);
  }
  io.out(t({ en: 'press Ctrl-C to take the card out', ja: 'Ctrl-C でカードを取り出します' }));
  opts.onReady?.(card, bridge);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  bridge.stop();
  await saver.flush();
}

export const insertCommands: readonly CliCommand[] = [
  {
    path: ['card', 'insert'],
    summary: {
      en: 'put a card file into the virtual reader (vpcd) until Ctrl-C; changes are saved back',
      ja: 'カードファイルを仮想リーダ (vpcd) に挿入（Ctrl-C まで）。変更はファイルに保存',
    },
    usage: 'FILE [--reader N] [--quickack]',
    options: { reader: { type: 'string', default: '0' }, quickack: { type: 'boolean' } },
    positionals: true,
    async run({ values, positionals }, io) {
      const [file, ...extra] = positionals;
      if (!file || extra.length > 0) {
        throw new CliError(
          { en: 'give exactly one card file', ja: 'カードファイルを1つ指定してください' },
          2,
        );
      }
      const reader = String(values.reader);
      if (!/^\d$/.test(reader)) {
        throw new CliError(
          { en: '--reader must be a number 0-9', ja: '--reader は 0～9 の数字です' },
          2,
        );
      }
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await insertCard(file, {
          reader: Number(reader),
          quickack: values.quickack === true,
          signal: ac.signal,
          io,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      return 0;
    },
  },
];
