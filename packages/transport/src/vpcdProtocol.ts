/**
 * The vsmartcard `vpcd` wire protocol, as pure functions. vpcd (the virtual
 * reader driver inside pcscd) listens on TCP; the virtual card connects to it.
 * Every message either way is a 2-byte big-endian length, then the payload. A
 * 1-byte payload from vpcd is a control code; a longer one is a command APDU,
 * answered with the response APDU.
 */

/** Base TCP port of vpcd: reader `Virtual PCD 00 0N` listens on 35963 + N (0x8C7B). */
export const VPCD_PORT = 35963;

/** Control codes vpcd sends as a 1-byte payload. */
export const VpcdControl = {
  powerOff: 0,
  powerOn: 1,
  reset: 2,
  getAtr: 4,
} as const;

export type VpcdMessage =
  | { readonly kind: 'powerOff' }
  | { readonly kind: 'powerOn' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'getAtr' }
  | { readonly kind: 'unknownControl'; readonly code: number }
  | { readonly kind: 'apdu'; readonly apdu: Uint8Array };

export function classifyVpcdPayload(payload: Uint8Array): VpcdMessage {
  if (payload.length !== 1) return { kind: 'apdu', apdu: payload };
  const code = payload[0]!;
  switch (code) {
    case VpcdControl.powerOff:
      return { kind: 'powerOff' };
    case VpcdControl.powerOn:
      return { kind: 'powerOn' };
    case VpcdControl.reset:
      return { kind: 'reset' };
    case VpcdControl.getAtr:
      return { kind: 'getAtr' };
    default:
      return { kind: 'unknownControl', code };
  }
}

/** Length-prefixes one payload (at most 65535 bytes). */
export function frame(payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError(`vpcd payload of ${payload.length} bytes`);
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >>> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/**
 * Reassembles length-prefixed messages from TCP chunks, which may split or
 * join messages anywhere.
 */
export class FrameReader {
  #buf = new Uint8Array(0);

  /** Adds a chunk; returns every message it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    const out: Uint8Array[] = [];
    let o = 0;
    while (joined.length - o >= 2) {
      const n = (joined[o]! << 8) | joined[o + 1]!;
      if (joined.length - o - 2 < n) break;
      out.push(joined.slice(o + 2, o + 2 + n));
      o += 2 + n;
    }
    this.#buf = joined.slice(o);
    return out;
  }

  /** Bytes held back waiting for the rest of a message. */
  get pending(): number {
    return this.#buf.length;
  }
}
