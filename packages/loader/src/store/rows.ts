/** Row → domain mapping helpers shared by the stores. */
import { toHex } from '@myna-ap/apdu';

export function iso(d: Date | string | null | undefined): string | null {
  return d === null || d === undefined ? null : new Date(d).toISOString();
}

export function hexUpper(b: Uint8Array | null | undefined): string | null {
  return b ? toHex(b).toUpperCase() : null;
}
