/** Small byte helpers shared by every package. Bytes are always `Uint8Array`. */

export type Bytes = Uint8Array;

/** Lower-case hex without separators. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Upper-case hex with a space between bytes, as APDU traces are usually printed. */
export function toHexSpaced(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

/**
 * Parses hex, ignoring spaces, colons and dashes. Throws `ApduError('BAD_HEX')` on
 * anything else or on an odd number of digits.
 */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new ApduError('BAD_HEX', `not a hex byte string: ${JSON.stringify(hex.slice(0, 40))}`);
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** `concat` over an array: safe for any number of parts (a spread of 100k+ overflows the stack). */
export function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Big-endian unsigned 16-bit value as 2 bytes. */
export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

import type { ApduErrorCode } from './errors.ts';

export class ApduError extends Error {
  override readonly name = 'ApduError';
  constructor(
    readonly code: ApduErrorCode,
    message: string,
  ) {
    super(message);
  }
}
