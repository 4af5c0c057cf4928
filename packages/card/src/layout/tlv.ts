/**
 * BER-TLV encoding for the card's data layouts. Tags are given as numbers and
 * written big-endian as they appear on the card (`0xdf21` → `DF 21`,
 * `0x7f21` → `7F 21`): the My Number Card writes private-class tags in the
 * high-tag form even below 31 (`DF 21`, `FF 20`; CARD.md).
 */
import { concat } from '@myna-ap/apdu';

export function tagBytes(tag: number): Uint8Array {
  if (tag <= 0xff) return Uint8Array.of(tag);
  if (tag <= 0xffff) return Uint8Array.of(tag >> 8, tag & 0xff);
  return Uint8Array.of(tag >> 16, (tag >> 8) & 0xff, tag & 0xff);
}

/** Definite length: short form below 128, then 81 xx and 82 xx xx. */
export function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  throw new RangeError(`TLV value of ${n} bytes is too long for the card`);
}

export function tlv(tag: number, ...value: Uint8Array[]): Uint8Array {
  const v = concat(...value);
  return concat(tagBytes(tag), lengthBytes(v.length), v);
}
