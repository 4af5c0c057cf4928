/**
 * How long a My Number Card is valid (カードの有効期間), as pure functions. Seed
 * 004: the card runs to the holder's 10th birthday after the day of issue (発行の
 * 日から10回目の誕生日), the 5th for a minor. The seed says "20歳未満": it predates
 * the 2022 change of the age of majority to 18 (民法改正, 令和4年4月1日), and the
 * card's rule follows it (番号法施行令), so here a minor is under 18 on the day
 * of issue.
 *
 * The electronic certificates' own period (the 5th birthday after issue) is
 * @myna-ap/pki's `fifthBirthdayAfter`; this package does not repeat it.
 *
 * Dates are calendar days `YYYY-MM-DD` held as UTC midnights (the card's dates
 * are days, not instants).
 */

/** A real calendar date `YYYY-MM-DD`, as a UTC Date; undefined when not. */
export function parseIsoDate(s: string): Date | undefined {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined;
  return date;
}

/** Age of majority since 2022-04-01 (民法第4条). */
export const AGE_OF_MAJORITY = 18;

/** Birthdays after issue the card runs to: 10 for an adult on the day of issue, 5 for a minor. */
export const CARD_VALIDITY_BIRTHDAYS = { adult: 10, minor: 5 } as const;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The birthday (month and day of `birth`) in `year`; 29 February → 28 February in common years. */
function birthdayIn(birth: Date, year: number): Date {
  const d = new Date(Date.UTC(year, birth.getUTCMonth(), birth.getUTCDate()));
  return d.getUTCMonth() === birth.getUTCMonth() ? d : new Date(Date.UTC(year, 1, 28));
}

/** Completed years of age on `day` (both UTC calendar dates). */
export function ageOn(birth: Date, day: Date): number {
  const y = day.getUTCFullYear() - birth.getUTCFullYear();
  return birthdayIn(birth, day.getUTCFullYear()) > day ? y - 1 : y;
}

/** The `n`th birthday strictly after `issued` (a card issued on a birthday counts from the next). */
export function nthBirthdayAfter(birth: Date, issued: Date, n: number): Date {
  let year = issued.getUTCFullYear();
  if (birthdayIn(birth, year) <= issued) year += 1;
  return birthdayIn(birth, year + n - 1);
}

/**
 * The card's last valid day, `YYYY-MM-DD`: the 10th birthday after `issueDate`,
 * the 5th when the holder is under 18 that day. Both dates are `YYYY-MM-DD`
 * calendar days in Japan. Throws `RangeError` for a date that is not one, or a
 * birth after issue.
 */
export function cardExpiryDate(birthDate: string, issueDate: string): string {
  const birth = parseIsoDate(birthDate);
  const issued = parseIsoDate(issueDate);
  if (!birth) throw new RangeError(`birth date must be YYYY-MM-DD, got ${birthDate}`);
  if (!issued) throw new RangeError(`issue date must be YYYY-MM-DD, got ${issueDate}`);
  if (birth > issued) throw new RangeError(`birth date ${birthDate} is after issue ${issueDate}`);
  const years =
    ageOn(birth, issued) >= AGE_OF_MAJORITY
      ? CARD_VALIDITY_BIRTHDAYS.adult
      : CARD_VALIDITY_BIRTHDAYS.minor;
  return isoDay(nthBirthdayAfter(birth, issued, years));
}

/**
 * True when a card whose last valid day is `expiry` (`YYYY-MM-DD` or the card's
 * `YYYYMMDD`) has expired at `now`: it is valid to the end of that day in Japan (UTC+9).
 */
export function isCardExpired(expiry: string, now: Date): boolean {
  const day = parseIsoDate(
    /^[0-9]{8}$/.test(expiry)
      ? `${expiry.slice(0, 4)}-${expiry.slice(4, 6)}-${expiry.slice(6)}`
      : expiry,
  );
  if (!day) throw new RangeError(`expiry must be YYYY-MM-DD or YYYYMMDD, got ${expiry}`);
  // The day after, 00:00 JST = 15:00 UTC of the expiry day.
  return now.getTime() >= day.getTime() + 15 * 3600_000;
}

/** Today's calendar date in Japan (UTC+9), `YYYY-MM-DD`. */
export function japanDate(now: Date): string {
  return isoDay(new Date(now.getTime() + 9 * 3600_000));
}
