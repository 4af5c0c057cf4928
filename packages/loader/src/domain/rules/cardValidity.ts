/**
 * 有効期限: a card AP goes only onto a card that is still valid. The card's rule
 * (valid to the end of its expiry day in Japan) is @myna-ap/profile's
 * `isCardExpired`; this says what the loading system does with it. Pure, no I/O.
 */
import { isCardExpired } from '@myna-ap/profile';
import { LoaderError } from '../../errors.ts';

/**
 * Throws `CARD_EXPIRED` (with the date) when the card whose 共通カードAP says
 * `expiry` (`YYYY-MM-DD`) has expired at `now`, and `CARD_DATA_INVALID` when the
 * card gave no readable expiry (null): a load needs to know the card is valid.
 */
export function checkCardNotExpired(expiry: string | null, now: Date): void {
  let expired: boolean;
  try {
    // Stryker disable next-line ConditionalExpression: isCardExpired throws on null too (caught below)
    expired = expiry !== null && isCardExpired(expiry, now);
  } catch {
    expiry = null;
    // Stryker disable next-line BooleanLiteral: unread, expiry null is refused first
    expired = false;
  }
  if (expiry === null) {
    throw new LoaderError(
      'CARD_DATA_INVALID',
      {
        en: 'the card gives no readable expiry date (共通カードAP): it cannot be checked, so nothing is loaded',
        ja: 'カードの有効期限（共通カードAP）が読み取れないため、有効か確認できません。搭載しません',
      },
      400,
    );
  }
  if (!expired) return;
  throw new LoaderError(
    'CARD_EXPIRED',
    {
      en: `the card expired on ${expiry}: the holder renews it at the municipality before anything is loaded`,
      ja: `このカードの有効期限は${expiry}で切れています。市区町村で更新してから搭載してください`,
    },
    409,
    { expiry },
  );
}
