/** Application identifiers (ISO/IEC 7816-5): 5..16 bytes, RID (5 bytes) + PIX. */
import { ApduError, fromHex, toHex } from './bytes.ts';

/** How long an AID may be (ISO/IEC 7816-5). */
export const AID_LENGTH = { min: 5, max: 16 } as const;

export function aidLengthOk(n: number): boolean {
  return n >= AID_LENGTH.min && n <= AID_LENGTH.max;
}

/** An AID as bytes. Build with `aid()` so the length is checked. */
export type Aid = Uint8Array & { readonly __brand: 'Aid' };

export function aid(value: Uint8Array | string): Aid {
  const b = typeof value === 'string' ? fromHex(value) : value;
  if (!aidLengthOk(b.length)) {
    throw new ApduError(
      'APDU_BAD_FIELD',
      `an AID has ${AID_LENGTH.min} to ${AID_LENGTH.max} bytes, got ${b.length}`,
    );
  }
  return Uint8Array.from(b) as Aid;
}

export function aidHex(a: Uint8Array): string {
  return toHex(a).toUpperCase();
}
