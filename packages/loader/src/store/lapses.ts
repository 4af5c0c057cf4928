/**
 * 失効 into the status feed: the resident record's events of a card's holder,
 * judged by the lapse rules (domain/rules/lapse.ts) on today's date in Japan,
 * make a lapsed card `revoked` (失効) by its issuer, the municipality, with the
 * reason and the day in the audit log. The providers whose card APs are on it
 * are told as for any status change (setCardStatus: the event, a notice each).
 * A card already revoked is left as it is: nothing new to tell anyone.
 */
import { japanDate } from '@myna-ap/profile';
import { LoaderError } from '../errors.ts';
import type { CardId } from '../domain/ids.ts';
import { cardLapse, lapseText, type Lapse, type ResidentEvent } from '../domain/rules/lapse.ts';
import type { Ctx, Session } from './context.ts';
import { setCardStatus, type StatusChange } from './feed.ts';

export interface LapseOutcome {
  /** Whether and when the card lapsed by today; null while it stands. */
  readonly lapse: Lapse | null;
  /** The status change recorded now; absent when none was needed. */
  readonly change?: StatusChange;
}

/**
 * Applies the holder's resident record to the card `cardId`. Throws `VALIDATION`
 * for an event date that is not one (nothing recorded), `FORBIDDEN` for a session
 * that may not change card status.
 */
export async function applyResidentRecord(
  ctx: Ctx,
  s: Session,
  cardId: CardId,
  events: readonly ResidentEvent[],
): Promise<LapseOutcome> {
  const lapse = cardLapse(events, japanDate(ctx.now()));
  if (!lapse) return { lapse: null };
  const why = lapseText(lapse);
  try {
    const change = await setCardStatus(ctx, s, cardId, {
      status: 'revoked',
      source: 'issuer',
      note: `失効 ${lapse.reason}: ${why.ja} / ${why.en}`,
    });
    return { lapse, change };
  } catch (e) {
    // Revoked already (by an earlier run, or a JPKI revocation): the feed has it.
    if (e instanceof LoaderError && e.code === 'CARD_STATUS_UNCHANGED') return { lapse };
    throw e;
  }
}
