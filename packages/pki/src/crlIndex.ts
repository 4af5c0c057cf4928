/**
 * A revocation index for national-scale CRLs (地方認証PF CRL 方式): millions of
 * revoked serials, built by walking the DER directly (X.509 libraries parse a CRL
 * into objects per entry and refuse large ones), kept in flat typed arrays with
 * an open-addressing hash table, so a lookup is a few array reads. Delta CRLs
 * update it in place.
 */
import { X509Certificate, createVerify, type KeyObject } from 'node:crypto';
import { certificateParts } from './der.ts';

export class CrlParseError extends Error {
  override readonly name = 'CrlParseError';
  readonly code = 'BAD_CRL';
}

/** A well-formed CRL that is not the one asked for: another issuer, or a bad signature. */
export class CrlTrustError extends Error {
  override readonly name = 'CrlTrustError';
  readonly code: 'CRL_WRONG_ISSUER' | 'CRL_BAD_SIGNATURE';
  constructor(code: CrlTrustError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

interface Tlv {
  tag: number;
  start: number; // of the value
  end: number;
  headerStart: number;
}

function readTlv(b: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new CrlParseError(`truncated DER at ${at}`);
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new CrlParseError(`unexpected multi-byte tag at ${at}`);
  let len = b[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new CrlParseError(`indefinite length at ${at}`);
    if (n > 4 || p + n > limit) throw new CrlParseError(`bad length at ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new CrlParseError(`value at ${at} runs past its container`);
  return { tag, start: p, end: p + len, headerStart: at };
}

function digits(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = b[at + i]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSS[.f]Z, read from the bytes (hot path). */
function readTime(b: Uint8Array, t: Tlv): number {
  const n = t.end - t.start;
  let p = t.start;
  let year: number;
  if (t.tag === 0x17 && n === 13) {
    const yy = digits(b, p, 2);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (t.tag === 0x18 && n >= 15) {
    year = digits(b, p, 4);
    p += 4;
  } else {
    throw new CrlParseError(`bad time at ${t.headerStart}`);
  }
  const ms = Date.UTC(
    year,
    digits(b, p, 2) - 1,
    digits(b, p + 2, 2),
    digits(b, p + 4, 2),
    digits(b, p + 6, 2),
    digits(b, p + 8, 2),
  );
  if (b[t.end - 1] !== 0x5a || Number.isNaN(ms))
    throw new CrlParseError(`bad time at ${t.headerStart}`);
  return ms;
}

/** The parts of a CRL the index and the validator need. */
export interface CrlInfo {
  readonly tbs: Uint8Array; // raw tbsCertList, what the signature covers
  readonly signatureAlgorithm: string; // hex of the AlgorithmIdentifier OID content
  readonly signature: Uint8Array;
  readonly issuer: Uint8Array; // DER Name
  readonly thisUpdate: number; // ms since epoch
  readonly nextUpdate: number | undefined;
  readonly crlNumber: bigint | undefined;
  readonly deltaBase: bigint | undefined; // delta CRL indicator
  readonly authorityKeyId: string | undefined; // hex, from the AKI extension
  /** Calls `entry` for each revoked certificate (serial value bytes, time, reason or -1). */
  forEachEntry(
    entry: (b: Uint8Array, start: number, end: number, at: number, reason: number) => void,
  ): number;
}

const OID_SHA256_RSA = '2a864886f70d01010b';
const OID_CRL_NUMBER = '551d14';
const OID_DELTA = '551d1b';
const OID_AKI = '551d23';
const OID_REASON = '551d15';

function intValue(b: Uint8Array, t: Tlv): bigint {
  let v = 0n;
  for (let i = t.start; i < t.end; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Walks a DER CRL without building objects per entry. Throws CrlParseError. */
export function parseCrl(b: Uint8Array): CrlInfo {
  const outer = readTlv(b, 0, b.length);
  if (outer.tag !== 0x30 || outer.end !== b.length)
    throw new CrlParseError('not a DER CertificateList');
  const tbsT = readTlv(b, outer.start, outer.end);
  if (tbsT.tag !== 0x30) throw new CrlParseError('tbsCertList is not a SEQUENCE');
  const algT = readTlv(b, tbsT.end, outer.end);
  const sigT = readTlv(b, algT.end, outer.end);
  if (algT.tag !== 0x30 || sigT.tag !== 0x03 || sigT.end !== outer.end) {
    throw new CrlParseError('bad signatureAlgorithm or signature');
  }
  if (sigT.end === sigT.start || b[sigT.start] !== 0) {
    throw new CrlParseError('signature BIT STRING must have no unused bits');
  }
  const oidT = readTlv(b, algT.start, algT.end);
  let p = tbsT.start;
  let t = readTlv(b, p, tbsT.end);
  if (t.tag === 0x02) {
    p = t.end; // version
    t = readTlv(b, p, tbsT.end);
  }
  // the inner signature AlgorithmIdentifier must be the outer one (RFC 5280 §5.1.2.2)
  if (
    Buffer.compare(
      Buffer.from(b.subarray(t.headerStart, t.end)),
      Buffer.from(b.subarray(algT.headerStart, algT.end)),
    ) !== 0
  ) {
    throw new CrlParseError('signature algorithm differs inside and outside tbsCertList');
  }
  p = t.end;
  const issuerT = readTlv(b, p, tbsT.end);
  if (issuerT.tag !== 0x30) throw new CrlParseError('issuer is not a Name');
  const thisT = readTlv(b, issuerT.end, tbsT.end);
  const thisUpdate = readTime(b, thisT);
  p = thisT.end;
  let nextUpdate: number | undefined;
  let revoked: Tlv | undefined;
  let crlNumber: bigint | undefined;
  let deltaBase: bigint | undefined;
  let authorityKeyId: string | undefined;
  while (p < tbsT.end) {
    const x = readTlv(b, p, tbsT.end);
    if (x.tag === 0x17 || x.tag === 0x18) nextUpdate = readTime(b, x);
    else if (x.tag === 0x30) revoked = x;
    else if (x.tag === 0xa0) {
      const exts = readTlv(b, x.start, x.end);
      for (let q = exts.start; q < exts.end;) {
        const ext = readTlv(b, q, exts.end);
        const id = readTlv(b, ext.start, ext.end);
        let v = readTlv(b, id.end, ext.end);
        if (v.tag === 0x01) v = readTlv(b, v.end, ext.end); // critical
        const oid = Buffer.from(b.subarray(id.start, id.end)).toString('hex');
        if (oid === OID_CRL_NUMBER || oid === OID_DELTA) {
          const n = intValue(b, readTlv(b, v.start, v.end));
          if (oid === OID_CRL_NUMBER) crlNumber = n;
          else deltaBase = n;
        } else if (oid === OID_AKI) {
          const seq = readTlv(b, v.start, v.end);
          for (let r = seq.start; r < seq.end;) {
            const f = readTlv(b, r, seq.end);
            if (f.tag === 0x80)
              authorityKeyId = Buffer.from(b.subarray(f.start, f.end)).toString('hex');
            r = f.end;
          }
        }
        q = ext.end;
      }
    } else throw new CrlParseError(`unexpected tag ${x.tag.toString(16)} in tbsCertList`);
    p = x.end;
  }
  const rev = revoked;
  return {
    tbs: b.subarray(tbsT.headerStart, tbsT.end),
    signatureAlgorithm: Buffer.from(b.subarray(oidT.start, oidT.end)).toString('hex'),
    signature: b.subarray(sigT.start + 1, sigT.end),
    issuer: b.subarray(issuerT.headerStart, issuerT.end),
    thisUpdate,
    nextUpdate,
    crlNumber,
    deltaBase,
    authorityKeyId,
    forEachEntry(entry) {
      if (!rev) return 0;
      let n = 0;
      for (let q = rev.start; q < rev.end;) {
        const e = readTlv(b, q, rev.end);
        const serial = readTlv(b, e.start, e.end);
        if (serial.tag !== 0x02) throw new CrlParseError('revoked entry without a serial');
        const time = readTlv(b, serial.end, e.end);
        let reason = -1;
        if (time.end < e.end) {
          const exts = readTlv(b, time.end, e.end);
          for (let r = exts.start; r < exts.end;) {
            const ext = readTlv(b, r, exts.end);
            const id = readTlv(b, ext.start, ext.end);
            if (
              id.end - id.start === 3 &&
              Buffer.from(b.subarray(id.start, id.end)).toString('hex') === OID_REASON
            ) {
              let v = readTlv(b, id.end, ext.end);
              if (v.tag === 0x01) v = readTlv(b, v.end, ext.end);
              const en = readTlv(b, v.start, v.end);
              reason = b[en.start] ?? -1;
            }
            r = ext.end;
          }
        }
        // strip the sign octet so 00 8x.. and 8x.. written either way match
        let s = serial.start;
        while (s < serial.end - 1 && b[s] === 0) s++;
        entry(b, s, serial.end, readTime(b, time), reason);
        n++;
        q = e.end;
      }
      return n;
    },
  };
}

/** Verifies a CRL's signature (sha256WithRSAEncryption) over its raw tbs bytes. */
export function verifyCrlSignature(
  info: CrlInfo,
  issuerPublicKeyPem: string | import('node:crypto').KeyObject,
): boolean {
  if (info.signatureAlgorithm !== OID_SHA256_RSA) return false;
  return createVerify('sha256').update(info.tbs).verify(issuerPublicKeyPem, info.signature);
}

export interface RevokedEntry {
  readonly revokedAt: Date;
  /** RFC 5280 CRLReason, or -1 when the entry has none. */
  readonly reason: number;
}

const LENGTH = 0xff;
const REMOVED = 0x100;
const STRIDE = 6;

/** Big-endian word k (0..3) of b[s..e), zero-padded: the inline form of a serial in a slot. */
function word(b: Uint8Array, s: number, e: number, k: number): number {
  const p = s + 4 * k;
  return (
    (((p < e ? b[p]! : 0) << 24) |
      ((p + 1 < e ? b[p + 1]! : 0) << 16) |
      ((p + 2 < e ? b[p + 2]! : 0) << 8) |
      (p + 3 < e ? b[p + 3]! : 0)) >>>
    0
  );
}

/** FNV-1a-style mix, four bytes at a time. */
function hash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(
      h ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)),
      0x01000193,
    );
    h ^= h >>> 15;
  }
  for (; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Serial → revocation, for millions of entries. */
export class CrlIndex {
  // Entry i: serial bytes at meta[2i] in the pool, length and a removed flag in
  // meta[2i+1]; revocation time and reason beside. The table holds, per slot,
  // the entry + 1, the length and the serial itself packed in four words when it
  // has at most 16 bytes: a probe is then settled by the slot alone, one memory
  // access (random access to a large table is what a lookup costs).
  #pool = new Uint8Array(1 << 16);
  #poolUsed = 0;
  #meta = new Uint32Array(2 * 1024);
  #at = new Float64Array(1024);
  #reason = new Int8Array(1024);
  #capacity = 1024;
  #count = 0;
  #live = 0;
  #slots = new Uint32Array(STRIDE * 2048);
  /** CRL number of the full CRL last applied, and of the last delta. */
  baseNumber: bigint | undefined;
  lastNumber: bigint | undefined;
  /** The CRLs' issuer (DER Name) and authority key identifier (hex), from the full CRL. */
  issuer: Uint8Array = new Uint8Array(0);
  authorityKeyId: string | undefined;
  /** When the last CRL applied (full or delta) said the next one is due: stale after. */
  nextUpdate: Date | undefined;
  /** The CA key every CRL of this index is verified with, when it was built with one. */
  #caKey: KeyObject | undefined;
  #caSki: string | undefined;

  get size(): number {
    return this.#live;
  }

  /**
   * Builds an index from a full DER CRL. With `caCertificate` the CRL must be that
   * CA's (issuer name and key identifier) and carry its valid signature, and so
   * must every delta applied later (CrlTrustError); without, the caller has
   * checked the signature (verifyCrlSignature).
   */
  static fromCrl(der: Uint8Array, opts: { caCertificate?: Uint8Array } = {}): CrlIndex {
    const info = parseCrl(der);
    if (info.deltaBase !== undefined) throw new CrlParseError('a delta CRL cannot start an index');
    const idx = new CrlIndex();
    if (opts.caCertificate) {
      const ca = new X509Certificate(opts.caCertificate);
      const parts = certificateParts(opts.caCertificate);
      idx.#caKey = ca.publicKey;
      idx.#caSki = parts.ski ? Buffer.from(parts.ski).toString('hex') : undefined;
      idx.issuer = parts.subject;
      idx.#checkTrust(info);
    }
    idx.issuer = Uint8Array.from(info.issuer);
    idx.authorityKeyId = info.authorityKeyId;
    idx.nextUpdate = info.nextUpdate === undefined ? undefined : new Date(info.nextUpdate);
    // an entry of a 16-byte serial with a UTCTime takes 35-36 bytes of DER
    idx.#reserve(Math.max(16, Math.ceil(der.length / 34)));
    info.forEachEntry((b, s, e, at, reason) => idx.#put(b, s, e, at, reason));
    idx.baseNumber = info.crlNumber;
    idx.lastNumber = info.crlNumber;
    return idx;
  }

  /** Applies a delta CRL whose base is this index's full CRL (removeFromCRL entries un-revoke). */
  applyDelta(der: Uint8Array): number {
    const info = parseCrl(der);
    if (info.deltaBase === undefined) {
      throw new CrlParseError('not a delta CRL (no delta CRL indicator)');
    }
    this.#checkTrust(info);
    if (this.baseNumber !== undefined && info.deltaBase > this.baseNumber) {
      throw new CrlParseError(
        `delta CRL needs base #${info.deltaBase}, index holds #${this.baseNumber}`,
      );
    }
    if (
      this.lastNumber !== undefined &&
      info.crlNumber !== undefined &&
      info.crlNumber <= this.lastNumber
    ) {
      throw new CrlParseError(`delta CRL #${info.crlNumber} is not newer than #${this.lastNumber}`);
    }
    const n = info.forEachEntry((b, s, e, at, reason) => {
      if (reason === 8) this.#remove(b, s, e);
      else this.#put(b, s, e, at, reason);
    });
    this.lastNumber = info.crlNumber;
    this.nextUpdate = info.nextUpdate === undefined ? undefined : new Date(info.nextUpdate);
    return n;
  }

  /** A CRL for this index: the same issuer, and when bound to a CA, its signature. */
  #checkTrust(info: CrlInfo): void {
    if (Buffer.compare(Buffer.from(info.issuer), Buffer.from(this.issuer)) !== 0) {
      throw new CrlTrustError('CRL_WRONG_ISSUER', 'the CRL is of another issuer');
    }
    if (this.#caSki && info.authorityKeyId && info.authorityKeyId !== this.#caSki) {
      throw new CrlTrustError('CRL_WRONG_ISSUER', 'the CRL is signed by another key of that name');
    }
    if (this.#caKey && !verifyCrlSignature(info, this.#caKey)) {
      throw new CrlTrustError(
        'CRL_BAD_SIGNATURE',
        'the CRL signature does not verify with the CA key',
      );
    }
  }

  /** The revocation of a serial (hex or bytes, with or without a leading 00), if any. */
  lookup(serial: string | Uint8Array): RevokedEntry | undefined {
    const b =
      typeof serial === 'string'
        ? Uint8Array.from(Buffer.from(serial.replace(/[\s:]/g, ''), 'hex'))
        : serial;
    const i = this.#findLive(b);
    if (i < 0) return undefined;
    return { revokedAt: new Date(this.#at[i]!), reason: this.#reason[i]! };
  }

  /** Whether a serial (bytes, sign octet optional) is revoked: the hot path, no allocation. */
  has(serial: Uint8Array): boolean {
    return this.#findLive(serial) >= 0;
  }

  /** Bytes held by the index's arrays. */
  get byteSize(): number {
    return (
      this.#pool.byteLength +
      this.#meta.byteLength +
      this.#at.byteLength +
      this.#reason.byteLength +
      this.#slots.byteLength
    );
  }

  #findLive(b: Uint8Array): number {
    let s = 0;
    while (s < b.length - 1 && b[s] === 0) s++;
    const i = this.#find(b, s, b.length);
    return i >= 0 && (this.#meta[2 * i + 1]! & REMOVED) === 0 ? i : -1;
  }

  #find(b: Uint8Array, s: number, e: number): number {
    const slots = this.#slots;
    const mask = slots.length / STRIDE - 1;
    const n = e - s;
    if (n <= 16) {
      const w0 = word(b, s, e, 0);
      const w1 = word(b, s, e, 1);
      const w2 = word(b, s, e, 2);
      const w3 = word(b, s, e, 3);
      for (let j = hash(b, s, e) & mask; ; j = (j + 1) & mask) {
        const q = j * STRIDE;
        const v = slots[q]!;
        if (v === 0) return -1;
        if (
          slots[q + 1] === n &&
          slots[q + 2] === w0 &&
          slots[q + 3] === w1 &&
          slots[q + 4] === w2 &&
          slots[q + 5] === w3
        ) {
          return v - 1;
        }
      }
    }
    const meta = this.#meta;
    const pool = this.#pool;
    for (let j = hash(b, s, e) & mask; ; j = (j + 1) & mask) {
      const q = j * STRIDE;
      const v = slots[q]!;
      if (v === 0) return -1;
      if (slots[q + 1] !== n) continue;
      const i = v - 1;
      const o = meta[2 * i]!;
      let k = 0;
      while (k < n && pool[o + k] === b[s + k]) k++;
      if (k === n) return i;
    }
  }

  #reserve(entries: number): void {
    if (entries > this.#capacity) {
      const meta = new Uint32Array(2 * entries);
      meta.set(this.#meta);
      this.#meta = meta;
      const at = new Float64Array(entries);
      at.set(this.#at);
      this.#at = at;
      const reason = new Int8Array(entries);
      reason.set(this.#reason);
      this.#reason = reason;
      this.#capacity = entries;
    }
    // Load factor at most 2/3 with linear probing.
    let cap = this.#slots.length / STRIDE;
    while (cap * 2 < entries * 3) cap *= 2;
    if (cap !== this.#slots.length / STRIDE) {
      this.#slots = new Uint32Array(STRIDE * cap);
      for (let i = 0; i < this.#count; i++) this.#slot(i);
    }
  }

  #slot(i: number): void {
    const slots = this.#slots;
    const mask = slots.length / STRIDE - 1;
    const o = this.#meta[2 * i]!;
    const n = this.#meta[2 * i + 1]! & LENGTH;
    const pool = this.#pool;
    for (let j = hash(pool, o, o + n) & mask; ; j = (j + 1) & mask) {
      const q = j * STRIDE;
      if (slots[q] === 0) {
        slots[q] = i + 1;
        slots[q + 1] = n;
        if (n <= 16) {
          for (let k = 0; k < 4; k++) slots[q + 2 + k] = word(pool, o, o + n, k);
        }
        return;
      }
    }
  }

  #put(b: Uint8Array, s: number, e: number, at: number, reason: number): void {
    const found = this.#find(b, s, e);
    if (found >= 0) {
      if (this.#meta[2 * found + 1]! & REMOVED) this.#live++;
      this.#meta[2 * found + 1] = this.#meta[2 * found + 1]! & LENGTH;
      this.#at[found] = at;
      this.#reason[found] = reason;
      return;
    }
    if (e - s > 255) throw new CrlParseError('serial longer than 255 bytes');
    if (this.#count === this.#capacity) this.#reserve(this.#count * 2);
    if (this.#poolUsed + (e - s) > this.#pool.length) {
      const p = new Uint8Array(Math.max(this.#pool.length * 2, this.#poolUsed + (e - s)));
      p.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = p;
    }
    const i = this.#count++;
    this.#pool.set(b.subarray(s, e), this.#poolUsed);
    this.#meta[2 * i] = this.#poolUsed;
    this.#meta[2 * i + 1] = e - s;
    this.#poolUsed += e - s;
    this.#at[i] = at;
    this.#reason[i] = reason;
    this.#slot(i);
    this.#live++;
  }

  #remove(b: Uint8Array, s: number, e: number): void {
    const i = this.#find(b, s, e);
    if (i >= 0 && (this.#meta[2 * i + 1]! & REMOVED) === 0) {
      this.#meta[2 * i + 1] = this.#meta[2 * i + 1]! | REMOVED;
      this.#live--;
    }
  }
}
