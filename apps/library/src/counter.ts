/**
 * The touch at the counter (窓口): the library's type C card AP read through the
 * access module — no keys, no PIN — with the status feed's lookup, so a card reported
 * lost, suspended or revoked is refused before the library sees its user ID. The
 * access module's refusals become the library's codes, worded for the counter.
 */
import { AccessError, readCardAp, type CardStatusLookup } from '@myna-ap/access';
import { TransportError, type CardChannel } from '@myna-ap/transport';
import { LibraryError, type LibraryErrorCode } from './errors.ts';

/** Opens the counter's reader with the card on it (production: `openCardReader`). */
export type CounterReader = () => Promise<CardChannel>;

const REFUSALS: Partial<Record<string, LibraryErrorCode>> = {
  CARD_LOST: 'CARD_LOST',
  CARD_SUSPENDED: 'CARD_SUSPENDED',
  CARD_REVOKED: 'CARD_REVOKED',
  CARD_AP_NOT_FOUND: 'CARD_AP_MISSING',
};

/** The user ID on the card now on the counter's reader. */
export async function touchCard(
  open: CounterReader,
  aid: string,
  status: CardStatusLookup,
): Promise<string> {
  let channel: CardChannel | undefined;
  try {
    channel = await open();
    return (await readCardAp(channel, { aid, status })).userId;
  } catch (e) {
    // The card left, or the reader is gone: the person at the counter touches again.
    if (e instanceof TransportError)
      throw new LibraryError('CARD_READ_FAILED', {
        en: `the card could not be read (${e.code}: ${e.text.en}): touch it again`,
        ja: `カードを読み取れませんでした（${e.text.ja}）。もう一度タッチしてください`,
      });
    if (!(e instanceof AccessError)) throw e;
    const code = REFUSALS[e.code];
    if (code) throw new LibraryError(code);
    throw new LibraryError('CARD_READ_FAILED', {
      en: `the card could not be read (${e.code}: ${e.text.en}): touch it again`,
      ja: `カードを読み取れませんでした（${e.text.ja}）。もう一度タッチしてください`,
    });
  } finally {
    await channel?.close().catch(() => {});
  }
}
