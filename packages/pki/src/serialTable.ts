/**
 * The issuer's records at national scale: serial → kind, and revocation reason
 * and time, for every card certificate issued (about 100 million cards, two
 * certificates each). Flat typed arrays with an open-addressing hash table, keyed
 * by the serial's bytes: no JavaScript object or string per certificate, so a
 * million records take tens of megabytes and load from the .jsonl files in well
 * under a second. A Map of objects took ~400 MiB and seconds of GC per million.
 */
import { REVOCATION_REASONS, type RevocationReason } from './revocation.ts';
import type { CertKind } from './kinds.ts';

const NOT_REVOKED = 0xff;
const REASON_INDEX = Object.fromEntries(REVOCATION_REASONS.map((r, i) => [r, i])) as Record<
  RevocationReason,
  number
>;
const MAX_SERIAL = 32; // bytes; RFC 5280 allows 20

/** FNV-1a over the key bytes. */
function hash(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5 ^ (e - s);
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Hex digit value of a character code, or -1. */
function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class SerialTable {
  #pool = new Uint8Array(1 << 16); // serial bytes, entry after entry
  #poolUsed = 0;
  #offset = new Uint32Array(1024); // entry → pool offset
  #length = new Uint8Array(1024);
  #kind = new Uint8Array(1024); // 0 auth, 1 sign
  #reason = new Uint8Array(1024); // index in REVOCATION_REASONS, or NOT_REVOKED
  #at = new Float64Array(1024); // revocation time, ms
  #count = 0;
  #slots = new Uint32Array(2048); // entry + 1, 0 = empty
  readonly #key = new Uint8Array(MAX_SERIAL);

  /** Certificates recorded. */
  get size(): number {
    return this.#count;
  }

  /** Bytes held by the arrays. */
  get byteSize(): number {
    return (
      this.#pool.byteLength +
      this.#offset.byteLength +
      this.#length.byteLength +
      this.#kind.byteLength +
      this.#reason.byteLength +
      this.#at.byteLength +
      this.#slots.byteLength
    );
  }

  /**
   * Reads hex digits from `src[s..e)` (string char codes or bytes) into the key
   * scratch, leading zero octets dropped; the key's length, or -1 if not a serial.
   */
  #loadHex(src: Uint8Array | string, s: number, e: number): number {
    const n = e - s;
    if (n <= 0 || n > 2 * MAX_SERIAL + 2) return -1;
    const key = this.#key;
    let len = 0;
    let i = s;
    // no closure per character: two copies of one loop (hot at start-up)
    if (typeof src === 'string') {
      if (n % 2 === 1) {
        const v = nibble(src.charCodeAt(i++));
        if (v < 0) return -1;
        key[len++] = v;
      }
      for (; i < e; i += 2) {
        const hi = nibble(src.charCodeAt(i));
        const lo = nibble(src.charCodeAt(i + 1));
        if (hi < 0 || lo < 0 || len === MAX_SERIAL) return -1;
        key[len++] = (hi << 4) | lo;
      }
    } else {
      if (n % 2 === 1) {
        const v = nibble(src[i++]!);
        if (v < 0) return -1;
        key[len++] = v;
      }
      for (; i < e; i += 2) {
        const hi = nibble(src[i]!);
        const lo = nibble(src[i + 1]!);
        if (hi < 0 || lo < 0 || len === MAX_SERIAL) return -1;
        key[len++] = (hi << 4) | lo;
      }
    }
    let z = 0;
    while (z < len - 1 && key[z] === 0) z++;
    if (z > 0) for (let k = z; k < len; k++) key[k - z] = key[k]!;
    return len - z;
  }

  #find(len: number): number {
    const mask = this.#slots.length - 1;
    for (let h = hash(this.#key, 0, len) & mask; ; h = (h + 1) & mask) {
      const v = this.#slots[h]!;
      if (v === 0) return -(h + 1);
      const i = v - 1;
      if (this.#length[i] === len) {
        const o = this.#offset[i]!;
        let k = 0;
        while (k < len && this.#pool[o + k] === this.#key[k]) k++;
        if (k === len) return i;
      }
    }
  }

  #insert(len: number, slot: number): number {
    // growing moves the slots: look the free one up again afterwards
    if (this.#count === this.#offset.length || (this.#count + 1) * 2 > this.#slots.length) {
      this.reserve(Math.max(this.#count + 1, this.#count * 2));
      slot = -this.#find(len) - 1;
    }
    if (this.#poolUsed + len > this.#pool.length) {
      const p = new Uint8Array(this.#pool.length * 2);
      p.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = p;
    }
    const i = this.#count++;
    const o = this.#poolUsed;
    this.#offset[i] = o;
    this.#length[i] = len;
    for (let k = 0; k < len; k++) this.#pool[o + k] = this.#key[k]!;
    this.#poolUsed = o + len;
    this.#reason[i] = NOT_REVOKED;
    this.#slots[slot] = i + 1;
    return i;
  }

  /** Room for `n` entries without growing (a caller that knows the count saves the doublings). */
  reserve(n: number): void {
    if (n > this.#offset.length) {
      const offset = new Uint32Array(n);
      offset.set(this.#offset);
      this.#offset = offset;
      const length = new Uint8Array(n);
      length.set(this.#length);
      this.#length = length;
      const kind = new Uint8Array(n);
      kind.set(this.#kind);
      this.#kind = kind;
      const reason = new Uint8Array(n);
      reason.set(this.#reason);
      this.#reason = reason;
      const at = new Float64Array(n);
      at.set(this.#at);
      this.#at = at;
    }
    let slots = this.#slots.length;
    while (n * 2 > slots) slots *= 2;
    if (slots !== this.#slots.length) this.#rehash(slots);
    if (n * 16 > this.#pool.length) {
      const p = new Uint8Array(n * 16);
      p.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = p;
    }
  }

  #rehash(size: number): void {
    this.#slots = new Uint32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.#count; i++) {
      const o = this.#offset[i]!;
      let h = hash(this.#pool, o, o + this.#length[i]!) & mask;
      while (this.#slots[h] !== 0) h = (h + 1) & mask;
      this.#slots[h] = i + 1;
    }
  }

  /** The entry of a serial written as hex (in a string or a byte buffer), or -1. */
  indexOf(src: Uint8Array | string, s = 0, e = src.length): number {
    const len = this.#loadHex(src, s, e);
    if (len < 0) return -1;
    const i = this.#find(len);
    return i >= 0 ? i : -1;
  }

  /** Records an issued certificate; false if the hex is not a serial. */
  issued(src: Uint8Array | string, s: number, e: number, kind: CertKind): boolean {
    const len = this.#loadHex(src, s, e);
    if (len < 0) return false;
    let i = this.#find(len);
    if (i < 0) i = this.#insert(len, -i - 1);
    this.#kind[i] = kind === 'sign' ? 1 : 0;
    return true;
  }

  /** Records a revocation (of a certificate issued or not yet seen); false if not a serial. */
  revoked(
    src: Uint8Array | string,
    s: number,
    e: number,
    kind: CertKind,
    reason: RevocationReason,
    atMs: number,
  ): boolean {
    const len = this.#loadHex(src, s, e);
    const r = REASON_INDEX[reason];
    if (len < 0 || r === undefined) return false;
    let i = this.#find(len);
    if (i < 0) {
      i = this.#insert(len, -i - 1);
      this.#kind[i] = kind === 'sign' ? 1 : 0;
    }
    this.#reason[i] = r;
    this.#at[i] = atMs;
    return true;
  }

  kindOf(i: number): CertKind {
    return this.#kind[i] === 1 ? 'sign' : 'auth';
  }

  /** The reason and time (ms) of entry i's revocation, if revoked. */
  revocationOf(i: number): { reason: RevocationReason; atMs: number } | undefined {
    const r = this.#reason[i]!;
    return r === NOT_REVOKED ? undefined : { reason: REVOCATION_REASONS[r]!, atMs: this.#at[i]! };
  }

  /** The canonical hex of entry i's serial. */
  serialOf(i: number): string {
    const o = this.#offset[i]!;
    return Buffer.from(this.#pool.subarray(o, o + this.#length[i]!)).toString('hex');
  }

  /** Calls `fn` for every revoked entry of `kind` among entries [from, to), in the order recorded. */
  forEachRevoked(kind: CertKind, fn: (i: number) => void, from = 0, to = this.#count): void {
    const k = kind === 'sign' ? 1 : 0;
    for (let i = from; i < Math.min(to, this.#count); i++) {
      if (this.#reason[i] !== NOT_REVOKED && this.#kind[i] === k) fn(i);
    }
  }
}
