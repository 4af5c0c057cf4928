/**
 * Seeded mutations of DER for the fuzz tests of this package's parsers: random
 * bytes, truncations, bit flips, byte swaps, length fields that lie (short, long,
 * indefinite, 4 GiB), deep nesting, trailing and spliced bytes.
 *
 * Normal run: a fixed seed. MYNA_SOAK=1: a fresh seed and many more inputs.
 * MYNA_FUZZ_SEED=n replays a run; every failure message carries the seed.
 */
// The seeded PRNG every fuzz test of the project uses (by path: pki has no runtime
// dependency on apdu).
import { seededRandom } from '@myna-ap/apdu';

export const SOAK = process.env.MYNA_SOAK === '1';
export const FUZZ_SEED =
  Number(process.env.MYNA_FUZZ_SEED ?? (SOAK ? Date.now() % 2 ** 31 : 20261202)) >>> 0;

/** `normal` inputs in a normal run, `soak` with MYNA_SOAK=1. */
export function fuzzCount(normal: number, soak: number): number {
  return SOAK ? soak : normal;
}

export interface Mutant {
  readonly input: Uint8Array;
  readonly kind: string;
  /** Positions changed in place (same length as the base), or undefined when the length changed. */
  readonly changed: readonly number[] | undefined;
}

/** Offsets of the length octets of every TLV in a DER value (walked to a fixed depth). */
function lengthOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    for (let p = start; p + 2 <= end && depth < 12;) {
      const tag = b[p]!;
      let len = b[p + 1]!;
      let q = p + 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || q + n > end) return;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[q + i]!;
        q += n;
      }
      if (q + len > end) return;
      out.push(p + 1);
      if (tag & 0x20 || tag === 0x04 || tag === 0x03)
        walk(tag === 0x03 ? q + 1 : q, q + len, depth + 1);
      p = q + len;
    }
  };
  walk(0, b.length, 0);
  return out;
}

const SPECIAL = [
  0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x30, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xa0, 0xff,
];

export class DerMutator {
  readonly seed: number;
  readonly #rand: () => number;

  constructor(seed: number = FUZZ_SEED) {
    this.seed = seed;
    this.#rand = seededRandom(seed);
  }

  int(n: number): number {
    return Math.floor(this.#rand() * n);
  }

  #byte(): number {
    return this.#rand() < 0.4 ? SPECIAL[this.int(SPECIAL.length)]! : this.int(256);
  }

  /** One mutant of `base`; `changed` lists every position that differs when the length is the same. */
  mutate(base: Uint8Array): Mutant {
    const m = this.#mutate(base);
    if (m.input.length !== base.length) return { ...m, changed: undefined };
    const changed: number[] = [];
    for (let i = 0; i < base.length; i++) if (m.input[i] !== base[i]) changed.push(i);
    return { ...m, changed };
  }

  #mutate(base: Uint8Array): Mutant {
    const lengths = lengthOffsets(base);
    const r = this.int(10);
    switch (r) {
      case 0: {
        const n = this.int(600);
        return {
          input: Uint8Array.from({ length: n }, () => this.#byte()),
          kind: 'random',
          changed: undefined,
        };
      }
      case 1:
        return {
          input: base.subarray(0, this.int(base.length)),
          kind: 'truncated',
          changed: undefined,
        };
      case 2:
      case 3: {
        const m = Uint8Array.from(base);
        const changed: number[] = [];
        for (let k = 1 + this.int(4); k > 0; k--) {
          const i = this.int(m.length);
          m[i] = m[i]! ^ (1 << this.int(8));
          changed.push(i);
        }
        return { input: m, kind: 'bit flips', changed: sameLength(base, m, changed) };
      }
      case 4: {
        const m = Uint8Array.from(base);
        const changed: number[] = [];
        for (let k = 1 + this.int(3); k > 0; k--) {
          const i = this.int(m.length);
          m[i] = this.#byte();
          changed.push(i);
        }
        return { input: m, kind: 'bytes', changed: sameLength(base, m, changed) };
      }
      case 5:
      case 6: {
        // a length field that lies: a little off, indefinite, or 4 GiB
        if (lengths.length === 0) return this.#mutate(base.subarray(1));
        const at = lengths[this.int(lengths.length)]!;
        const pick = this.int(4);
        if (pick === 0) {
          const m = Uint8Array.from(base);
          m[at] = (m[at]! + (this.int(2) ? 1 : 0xff)) & 0xff;
          return { input: m, kind: 'length ±1', changed: sameLength(base, m, [at]) };
        }
        const lie =
          pick === 1
            ? [0x80]
            : pick === 2
              ? [0x84, 0xff, 0xff, 0xff, 0xff]
              : [0x83, 0x7f, 0xff, 0xff];
        const n = base[at]! & 0x80 ? 1 + (base[at]! & 0x7f) : 1;
        return {
          input: Uint8Array.from([...base.subarray(0, at), ...lie, ...base.subarray(at + n)]),
          kind: pick === 1 ? 'indefinite length' : 'huge length',
          changed: undefined,
        };
      }
      case 7: {
        // deep nesting: the base inside thousands of SEQUENCEs, or a run of open ones
        const depth = 500 + this.int(4000);
        if (this.int(2)) {
          const out = new Uint8Array(depth * 2);
          for (let i = 0; i < depth; i++) out.set([0x30, 0x80], 2 * i);
          return { input: out, kind: 'nested indefinite', changed: undefined };
        }
        return {
          input: nested(base.subarray(0, Math.min(base.length, 16)), depth),
          kind: 'nested',
          changed: undefined,
        };
      }
      case 8: {
        const at = this.int(base.length + 1);
        const extra = Uint8Array.from({ length: 1 + this.int(8) }, () => this.#byte());
        return {
          input: Uint8Array.from([...base.subarray(0, at), ...extra, ...base.subarray(at)]),
          kind: 'spliced',
          changed: undefined,
        };
      }
      default:
        return {
          input: Uint8Array.from([...base, ...base.subarray(0, 1 + this.int(base.length))]),
          kind: 'trailing bytes',
          changed: undefined,
        };
    }
  }
}

function sameLength(base: Uint8Array, m: Uint8Array, changed: number[]): number[] {
  return changed.filter((i) => base[i] !== m[i]);
}

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** `inner` inside `depth` definite-length SEQUENCEs, built in one buffer. */
function nested(inner: Uint8Array, depth: number): Uint8Array {
  const sizes: number[] = [];
  let n = inner.length;
  for (let i = 0; i < depth; i++) {
    sizes.push(n);
    n += 1 + lengthBytes(n).length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = depth - 1; i >= 0; i--) {
    out[o++] = 0x30;
    const l = lengthBytes(sizes[i]!);
    out.set(l, o);
    o += l.length;
  }
  out.set(inner, o);
  return out;
}

/** Where a TLV's value lies in `b`: [start, end) of the whole TLV at `at`. */
export function tlvSpan(
  b: Uint8Array,
  at: number,
): { start: number; valueStart: number; end: number } {
  let len = b[at + 1]!;
  let q = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[q + i]!;
    q += n;
  }
  return { start: at, valueStart: q, end: q + len };
}

/** `replay` hint for failure messages. */
export function replay(seed: number, i: number, kind: string): string {
  return `seed ${seed}, input ${i} (${kind}); replay with MYNA_FUZZ_SEED=${seed}`;
}
