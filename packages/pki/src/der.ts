/**
 * The little DER this package writes and reads by hand: the subjectAltName
 * otherName entries of the sign certificate (X.509 libraries have no API for
 * arbitrary otherName values). Everything else goes through @peculiar/x509.
 */
import type { Text } from '@myna-ap/text';
import { PKI_DATA_ERRORS, detailText, type PkiDataErrorCode } from './errors.ts';

export class DerError extends Error {
  override readonly name = 'DerError';
  readonly code = 'BAD_DER' satisfies PkiDataErrorCode;
  get text(): Text {
    return detailText(PKI_DATA_ERRORS[this.code], this.message);
  }
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One DER TLV of `tag` around the concatenated `content` (one allocation, one copy). */
export function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of content) n += c.length;
  const len = encodeLength(n);
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  let o = 1 + len.length;
  for (const c of content) {
    out.set(c, o);
    o += c.length;
  }
  return out;
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

/** One TLV inside a buffer: tag, and where its value starts and ends. */
export interface Tlv {
  readonly tag: number;
  readonly headerStart: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Reads the TLV at `at`, which must end by `limit` (its container's end): DER only
 * (single-byte tags, definite lengths of at most 4 length octets). A length that
 * runs past the container is refused before anything is allocated, so a lying
 * length field costs nothing.
 */
export function readTlv(
  b: Uint8Array,
  at: number,
  limit: number,
  fail: (message: string) => Error = (m) => new DerError(m),
): Tlv {
  if (at + 2 > limit) throw fail(`truncated DER at ${at}`);
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw fail(`multi-byte tag at ${at}`);
  let len = b[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw fail(`indefinite length at ${at}`);
    if (n > 4 || p + n > limit) throw fail(`bad length at ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) throw fail(`value at ${at} runs past its container`);
  return { tag, headerStart: at, start: p, end: p + len };
}

/**
 * A time as X.509 and CMS write it: UTCTime through 2049, GeneralizedTime from 2050
 * (RFC 5280 §4.1.2.5 and §5.1.2.4, RFC 5652 §11.3), DER: UTC, whole seconds.
 */
export function x509Time(d: Date): Uint8Array {
  const s = d.toISOString();
  const digits =
    s.slice(0, 4) +
    s.slice(5, 7) +
    s.slice(8, 10) +
    s.slice(11, 13) +
    s.slice(14, 16) +
    s.slice(17, 19);
  return d.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(digits.slice(2) + 'Z', 'latin1'))
    : der(0x18, Buffer.from(digits + 'Z', 'latin1'));
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (DER: UTC, no fraction). */
export function generalizedTime(d: Date): Uint8Array {
  const s = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return der(
    0x18,
    Buffer.from(
      s.slice(0, 4) +
        s.slice(5, 7) +
        s.slice(8, 10) +
        s.slice(11, 13) +
        s.slice(14, 16) +
        s.slice(17, 19) +
        'Z',
      'latin1',
    ),
  );
}

/** The parts of a DER certificate the responder and the CRL writer need. */
export interface CertificateParts {
  /** issuer Name, DER */
  readonly issuer: Uint8Array;
  /** subject Name, DER */
  readonly subject: Uint8Array;
  /** subjectPublicKey BIT STRING content without its unused-bits octet (what key hashes cover) */
  readonly keyBits: Uint8Array;
  /** subjectKeyIdentifier, when present */
  readonly ski: Uint8Array | undefined;
}

/** Reads a certificate's subject, public key bits and SKI. Throws DerError. */
export function certificateParts(cert: Uint8Array): CertificateParts {
  const top = derChildren(cert);
  if (top.length !== 1) throw new DerError('not one DER certificate');
  const [c] = top;
  const [tbs] = derChildren(c?.value ?? new Uint8Array(0));
  const fields = derChildren(tbs?.value ?? new Uint8Array(0));
  const off = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const issuer = fields[off + 2];
  const subject = fields[off + 4];
  const spki = fields[off + 5];
  if (issuer?.tag !== 0x30 || subject?.tag !== 0x30 || spki?.tag !== 0x30) {
    throw new DerError('not a certificate');
  }
  const bits = derChildren(spki.value)[1];
  if (bits?.tag !== 0x03 || bits.value.length < 1) throw new DerError('bad subjectPublicKey');
  let ski: Uint8Array | undefined;
  const exts = fields.find((f) => f.tag === 0xa3);
  for (const ext of exts
    ? derChildren(derChildren(exts.value)[0]?.value ?? new Uint8Array(0))
    : []) {
    const parts = derChildren(ext.value);
    if (parts[0]?.tag === 0x06 && Buffer.from(parts[0].value).toString('hex') === '551d0e') {
      const inner = derChildren(parts[parts.length - 1]!.value)[0];
      if (inner?.tag === 0x04) ski = inner.value;
    }
  }
  return {
    issuer: der(0x30, issuer.value),
    subject: der(0x30, subject.value),
    keyBits: bits.value.subarray(1),
    ski,
  };
}
