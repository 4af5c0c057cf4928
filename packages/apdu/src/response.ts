/** ISO/IEC 7816-4 response APDUs: response data then SW1 SW2. */
import { ApduError, concat } from './bytes.ts';
import { SW, describeStatusWord, type StatusWord } from './status.ts';

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

export function encodeResponse(r: ResponseApdu): Uint8Array {
  return concat(r.data, Uint8Array.of((r.sw >>> 8) & 0xff, r.sw & 0xff));
}

export function parseResponse(b: Uint8Array): ResponseApdu {
  if (b.length < 2) {
    throw new ApduError('RESPONSE_TOO_SHORT', `response APDU of ${b.length} bytes (< 2)`);
  }
  const n = b.length;
  return { data: b.slice(0, n - 2), sw: (b[n - 2]! << 8) | b[n - 1]! };
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
