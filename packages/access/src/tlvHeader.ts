/**
 * Just enough BER-TLV to know how long a TLV-structured EF is from its first
 * bytes (certificates `30 82 LL LL`, the text AP's `FF 20 L`): readers read
 * the header, then exactly the rest. Tags in high-tag form are accepted even
 * below 31, as the card writes them (`DF 21`, `FF 20`).
 */

export interface TlvHeader {
  readonly tag: number;
  /** Bytes taken by tag and length fields. */
  readonly headerLength: number;
  readonly valueLength: number;
}

/** Parses a TLV header at `offset`; `undefined` when `b` is too short to tell. Throws on malformed lengths. */
export function parseTlvHeader(b: Uint8Array, offset = 0): TlvHeader | undefined {
  let i = offset;
  if (i >= b.length) return undefined;
  let tag = b[i++]!;
  if ((tag & 0x1f) === 0x1f) {
    for (;;) {
      if (i >= b.length) return undefined;
      const x = b[i++]!;
      tag = tag * 256 + x;
      if ((x & 0x80) === 0) break;
      if (i - offset > 4) throw new RangeError('TLV tag longer than 4 bytes');
    }
  }
  if (i >= b.length) return undefined;
  const first = b[i++]!;
  let valueLength = first;
  if (first === 0x80) throw new RangeError('indefinite TLV length');
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 3) throw new RangeError(`TLV length of ${n} bytes`);
    if (b.length - i < n) return undefined;
    valueLength = 0;
    for (let k = 0; k < n; k++) valueLength = valueLength * 256 + b[i++]!;
  }
  return { tag, headerLength: i - offset, valueLength };
}

/** Children of a constructed value: each tag with its value bytes, in order. */
export function parseTlvList(
  b: Uint8Array,
): Array<{ tag: number; value: Uint8Array; offset: number }> {
  const out: Array<{ tag: number; value: Uint8Array; offset: number }> = [];
  let o = 0;
  while (o < b.length) {
    // Padding after the last object (00 or FF) ends the list, as on the card.
    if (b[o] === 0x00 || (b[o] === 0xff && o + 1 < b.length && b[o + 1] === 0xff)) break;
    const h = parseTlvHeader(b, o);
    if (!h) throw new RangeError(`TLV truncated at ${o}`);
    const start = o + h.headerLength;
    if (start + h.valueLength > b.length) throw new RangeError(`TLV value overruns at ${o}`);
    out.push({ tag: h.tag, value: b.subarray(start, start + h.valueLength), offset: o });
    o = start + h.valueLength;
  }
  return out;
}
