/** Certificate validity rules of the JPKI card certificates. */

/**
 * The holder's 5th birthday after `issuedAt` (発行日後5回目の誕生日), end of that day
 * in Japan (UTC+9). A 29 February birthday falls on 28 February in common years.
 */
export function fifthBirthdayAfter(birthDate: string, issuedAt: Date): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) throw new RangeError(`birth date must be YYYY-MM-DD, got ${birthDate}`);
  const month = Number(m[2]) - 1;
  const day = Number(m[3]);
  const birthdayIn = (year: number): Date => {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const d = month === 1 && day === 29 && !leap ? 28 : day;
    // 23:59:59 JST of that day = 14:59:59 UTC
    return new Date(Date.UTC(year, month, d, 14, 59, 59));
  };
  let year = issuedAt.getUTCFullYear();
  if (birthdayIn(year) <= issuedAt) year += 1; // the first birthday strictly after issue
  return birthdayIn(year + 4);
}
