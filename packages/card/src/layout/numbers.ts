/**
 * Random numbers for a new card, with valid check digits (the check digits
 * themselves are the profile's). Random values come from node:crypto.
 */
import { randomInt } from 'node:crypto';
import { myNumberCheckDigit } from '@myna-ap/profile';

/** A random My Number with a valid check digit. */
export function randomMyNumber(): string {
  const body = randomDigits(11);
  return body + String(myNumberCheckDigit(body));
}

/**
 * A random 住民票コード (11 digits). The real last digit is a check digit whose
 * formula is set by 平成14年総務省告示第436号; we could not confirm it from a
 * public source, so all 11 digits are random (documented in the README).
 */
export function randomResidentCode(): string {
  return randomDigits(11);
}

/** The セキュリティコード printed on the card's back: 4 random digits. */
export function randomSecurityCode(): string {
  return randomDigits(4);
}

export function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}
