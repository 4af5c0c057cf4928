/**
 * The status feed as a business system meets it at the card: the loading system
 * lists cards reported lost (紛失), suspended (一時停止) and revoked (廃止・失効)
 * with the user IDs of the system's own card APs (GET /v1/feed, the daily list).
 * The system keeps what it fetched and passes a lookup in; the access module
 * refuses such a card before it returns its data or writes to it.
 */
import { AccessError } from './errors.ts';

/** A card's state in the feed (the loader contract's `cardStatusSchema`). */
export type CardStatus = 'active' | 'lost' | 'suspended' | 'revoked';

/**
 * What the system knows of the card AP `aid` holding `userId` (upper-case hex):
 * its last status from the feed, or undefined when the feed never named it.
 */
export type CardStatusLookup = (
  aid: string,
  userId: string,
) => CardStatus | undefined | Promise<CardStatus | undefined>;

/** The part of a feed event (or a daily list's card) the lookup needs. */
export interface FeedEntryLike {
  readonly seq: number;
  readonly status: CardStatus;
  readonly cardAps?: readonly { readonly aid: string; readonly userId: string }[] | undefined;
}

const key = (aid: string, userId: string) => `${aid.toUpperCase()}:${userId.toUpperCase()}`;

/**
 * A lookup over feed entries in any order: the entry with the highest `seq` of
 * each user ID wins (a card found again comes back `active`).
 */
export function cardStatusFromFeed(entries: Iterable<FeedEntryLike>): CardStatusLookup {
  const last = new Map<string, { seq: number; status: CardStatus }>();
  for (const e of entries) {
    for (const ap of e.cardAps ?? []) {
      const k = key(ap.aid, ap.userId);
      const had = last.get(k);
      if (!had || had.seq < e.seq) last.set(k, { seq: e.seq, status: e.status });
    }
  }
  return (aid, userId) => last.get(key(aid, userId))?.status;
}

/** Throws CARD_LOST, CARD_SUSPENDED or CARD_REVOKED when the feed says so. */
export async function checkCardStatus(
  lookup: CardStatusLookup,
  aid: string,
  userId: string,
): Promise<void> {
  const s = await lookup(aid, userId);
  if (s === undefined || s === 'active') return;
  const code = s === 'lost' ? 'CARD_LOST' : s === 'suspended' ? 'CARD_SUSPENDED' : 'CARD_REVOKED';
  throw new AccessError(code);
}
