/**
 * What a card AP may be (seeds/000, 001, 002; packages/card/README.md §5): the
 * card refuses an INSTALL or an update outside these limits, and the loading
 * system checks them before it sends anything. The sizes by type, the user ID
 * length and the ISO AID length are defined in @myna-ap/apdu (its GlobalPlatform
 * commands check them) and named here with the rest.
 */
import {
  AID_LENGTH,
  aidLengthOk,
  CARD_AP_MAX_SIZE,
  CARD_AP_TYPES,
  ISSUER_STREAM_MAX,
  USER_ID_LENGTH,
  type CardApType,
} from '@myna-ap/apdu';

export {
  AID_LENGTH,
  aidLengthOk,
  CARD_AP_MAX_SIZE,
  CARD_AP_TYPES,
  ISSUER_STREAM_MAX,
  USER_ID_LENGTH,
};
export type { CardApType };

/**
 * Longest type A record. 232 bytes padded for R-ENC (240) with an 8-byte R-MAC
 * and the status word still fit one 256-byte short response.
 */
export const CARD_AP_MAX_RECORD = 232;

/** Most records of a type A card AP (record numbers 1–254; FF is reserved). */
export const CARD_AP_MAX_RECORDS = 254;

/** A card AP's PIN (ASCII bytes) and its tries before it locks. */
export const CARD_AP_PIN = { min: 4, max: 16, triesMin: 1, triesMax: 15, defaultTries: 3 } as const;

/** The provider ID (事業者識別) an INSTALL carries: 1–16 bytes. */
export const PROVIDER_ID_LENGTH = { min: 1, max: 16 } as const;

/** Most EFs of a custom card AP (独自カードAP). */
export const CUSTOM_MAX_EFS = 16;

/** Bytes of card-side bookkeeping per card AP (AID, provider, keys, PIN object). */
export const CARD_AP_OVERHEAD = 33;

/** A card AP's footprint in its free area: its declared size plus the overhead. */
export function cardApFootprint(size: number): number {
  return size + CARD_AP_OVERHEAD;
}

/** Checks a card AP type name: `A`, `C`, `D` or `custom`. */
export function cardApType(s: string): CardApType {
  if ((CARD_AP_TYPES as readonly string[]).includes(s)) return s as CardApType;
  throw new RangeError(`a card AP type is one of ${CARD_AP_TYPES.join(', ')}, not ${s}`);
}

/** True when `n` bytes is a PIN length a card AP takes. */
export function cardApPinLengthOk(n: number): boolean {
  return n >= CARD_AP_PIN.min && n <= CARD_AP_PIN.max;
}

const HOLDER_CARD_AP_PIN = new RegExp(`^[0-9A-Za-z]{${CARD_AP_PIN.min},${CARD_AP_PIN.max}}$`);

/**
 * True when `pin` is a PIN a holder may choose for a card AP: 4–16 ASCII digits or
 * letters (the card takes any bytes of that length; the loading system and the
 * access module both keep to what a counter keypad and a business system can type).
 */
export function holderCardApPinOk(pin: string): boolean {
  return HOLDER_CARD_AP_PIN.test(pin);
}

/** True when `n` is a try count a card AP's PIN takes. */
export function cardApPinTriesOk(n: number): boolean {
  return Number.isInteger(n) && n >= CARD_AP_PIN.triesMin && n <= CARD_AP_PIN.triesMax;
}

/** True when a type A record of `n` bytes is allowed (at INSTALL and at UPDATE RECORD). */
export function cardApRecordLengthOk(n: number): boolean {
  return n >= 1 && n <= CARD_AP_MAX_RECORD;
}

/**
 * Failed EXTERNAL AUTHENTICATEs a security domain's key set (a free area's or the
 * card issuer's) takes before it is blocked (GlobalPlatform leaves the number to
 * the card; 10 is a common choice of issued platforms). While blocked, INITIALIZE
 * UPDATE answers `69 83` until the card issuer unblocks the area.
 */
export const SD_AUTH_TRIES = 10;

/**
 * Challenge lengths the 券面事項確認AP's INTERNAL AUTHENTICATE signs (ISO 7816-4
 * leaves them to the card): long enough to be fresh, short enough for one APDU.
 */
export const INTERNAL_AUTH_CHALLENGE = { min: 8, max: 64 } as const;
