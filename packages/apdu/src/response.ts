/** ISO/IEC 7816-4 response APDUs: response data then SW1 SW2. */
import { ApduError, concat } from './bytes.ts';
import { SW, describeStatusWord, isValidStatusWord, type StatusWord } from './status.ts';

export interface ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: StatusWord;
}

const EMPTY = new Uint8Array(0);

export function response(sw: number, data: Uint8Array = EMPTY): ResponseApdu {
  return { data, sw };
}

/** `90 00` with optional data. */
export function ok(data: Uint8Array = EMPTY): ResponseApdu {
  return { data, sw: SW.OK };
}

/** A response carrying only a status word. */
export function status(sw: number): ResponseApdu {
  return { data: EMPTY, sw };
}

/** Response data then SW1 SW2; `APDU_BAD_FIELD` when `sw` is not a 16-bit value. */
export function encodeResponse(r: ResponseApdu): Uint8Array {
  if (!Number.isInteger(r.sw) || r.sw < 0 || r.sw > 0xffff) {
    throw new ApduError('APDU_BAD_FIELD', `status word must be 0000..FFFF, got ${r.sw}`);
  }
  return concat(r.data, Uint8Array.of((r.sw >>> 8) & 0xff, r.sw & 0xff));
}

export interface ParseResponseOptions {
  /**
   * Refuse a status word no card may send (SW1 not 6X/9X, or 60): `RESPONSE_BAD_SW`.
   * Off by default so a host can still log what a broken reader returned.
   */
  readonly strict?: boolean;
}

/** Splits response bytes into data and SW1-SW2 (`RESPONSE_TOO_SHORT` under 2 bytes). */
export function parseResponse(b: Uint8Array, opts: ParseResponseOptions = {}): ResponseApdu {
  if (b.length < 2) {
    throw new ApduError('RESPONSE_TOO_SHORT', `response APDU of ${b.length} bytes (< 2)`);
  }
  const n = b.length;
  const sw = (b[n - 2]! << 8) | b[n - 1]!;
  if (opts.strict === true && !isValidStatusWord(sw)) {
    throw new ApduError('RESPONSE_BAD_SW', `${describeStatusWord(sw)}: not a valid status word`);
  }
  return { data: b.slice(0, n - 2), sw };
}

export function isOk(r: ResponseApdu): boolean {
  return r.sw === SW.OK;
}

/** Raised by host code when a card answers with an unexpected status word. */
export class CardStatusError extends Error {
  override readonly name = 'CardStatusError';
  constructor(
    readonly sw: number,
    readonly context: string,
  ) {
    super(`${context}: card answered ${describeStatusWord(sw)}`);
  }
}

/** Returns the data of a `90 00` response, or throws `CardStatusError`. */
export function expectOk(r: ResponseApdu, context: string): Uint8Array {
  if (r.sw !== SW.OK) throw new CardStatusError(r.sw, context);
  return r.data;
}
