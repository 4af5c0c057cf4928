/**
 * The little DER this package writes and reads by hand: the subjectAltName
 * otherName entries of the sign certificate (X.509 libraries have no API for
 * arbitrary otherName values). Everything else goes through @peculiar/x509.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
  readonly code = 'BAD_DER';
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return Uint8Array.from(Buffer.concat([Uint8Array.of(tag), encodeLength(body.length), body]));
}

/** OBJECT IDENTIFIER content octets (X.690 8.19) of a dotted OID. */
export function oidContent(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new DerError(`bad OID ${oid}`);
  const first = arcs[0]! * 40n + arcs[1]!;
  const out: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

export function oidToString(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of content) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (arcs.length === 0) throw new DerError('empty OID');
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

export interface DerNode {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Splits a run of DER TLVs (single-byte tags, definite lengths). Throws DerError. */
export function derChildren(b: Uint8Array): DerNode[] {
  const out: DerNode[] = [];
  let i = 0;
  while (i < b.length) {
    if (i + 2 > b.length) throw new DerError('truncated DER header');
    const tag = b[i]!;
    if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tag not expected here');
    let len = b[i + 1]!;
    i += 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || i + n > b.length) throw new DerError('bad DER length');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + b[i + k]!;
      i += n;
    }
    if (i + len > b.length) throw new DerError('DER value runs past the end');
    out.push({ tag, value: b.subarray(i, i + len) });
    i += len;
  }
  return out;
}
