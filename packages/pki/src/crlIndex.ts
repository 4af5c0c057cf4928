/**
 * A revocation index for national-scale CRLs (地方認証PF CRL 方式): millions of
 * revoked serials, built by walking the DER directly (X.509 libraries parse a CRL
 * into objects per entry and refuse large ones), kept in flat typed arrays with
 * an open-addressing hash table, so a lookup is a few array reads. Delta CRLs
 * update it in place.
 */
import { X509Certificate, createVerify, type KeyObject } from 'node:crypto';
import type { Text } from '@myna-ap/text';
import { certificateParts } from './der.ts';
import { PKI_DATA_ERRORS, detailText, type PkiDataErrorCode } from './errors.ts';

export class CrlParseError extends Error {
  override readonly name = 'CrlParseError';
  readonly code = 'BAD_CRL' satisfies PkiDataErrorCode;
  get text(): Text {
    return detailText(PKI_DATA_ERRORS[this.code], this.message);
  }
}

/** A well-formed CRL that is not the one asked for: another issuer, or a bad signature. */
export class CrlTrustError extends Error {
  override readonly name = 'CrlTrustError';
  readonly code: Extract<PkiDataErrorCode, 'CRL_WRONG_ISSUER' | 'CRL_BAD_SIGNATURE'>;
  constructor(code: CrlTrustError['code'], message: string) {
    super(message);
    this.code = code;
  }
  get text(): Text {
    return detailText(PKI_DATA_ERRORS[this.code], this.message);
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

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY, RFC 5280 §4.1.2.5.1) or GeneralizedTime
 * YYYYMMDDHHMMSS[.fff]Z, read from the bytes: ms since the epoch (fractions dropped).
 * Every field is range-checked (no 13th month, 31 April or 24:00). The last date
 * seen is remembered: in a CRL most entries share their day with the one before.
 */
class TimeReader {
  #dateAt = -1; // where in `#b` the remembered date's digits are
  #dateLen = 0;
  #b: Uint8Array | undefined;
  #dayMs = 0;

  read(b: Uint8Array, t: Tlv): number {
    return this.readAt(b, t.tag, t.start, t.end, t.headerStart);
  }

  /** As `read`, for the time whose tag is `tag` and value b[start..end) (header at `at`). */
  readAt(b: Uint8Array, tag: number, start: number, end: number, at: number): number {
    const n = end - start;
    let dateLen: number;
    if (tag === 0x17 && n === 13) dateLen = 6;
    else if (tag === 0x18 && n >= 15) {
      dateLen = 8;
      if (
        n > 15 &&
        (b[start + 14] !== 0x2e || n === 16 || Number.isNaN(digits(b, start + 15, n - 16)))
      ) {
        throw new CrlParseError(`bad time at ${at}`);
      }
    } else throw new CrlParseError(`bad time at ${at}`);
    if (b[end - 1] !== 0x5a) throw new CrlParseError(`bad time at ${at}`);
    const p = start;
    if (!this.#sameDate(b, p, dateLen)) {
      let year: number;
      if (dateLen === 6) {
        const yy = digits(b, p, 2);
        year = yy < 50 ? 2000 + yy : 1900 + yy;
      } else year = digits(b, p, 4);
      const month = digits(b, p + dateLen - 4, 2);
      const day = digits(b, p + dateLen - 2, 2);
      if (
        !(month >= 1 && month <= 12) ||
        !(day >= 1 && day <= daysIn(year, month)) ||
        Number.isNaN(year)
      ) {
        throw new CrlParseError(`bad time at ${at}`);
      }
      this.#b = b;
      this.#dateAt = p;
      this.#dateLen = dateLen;
      this.#dayMs = Date.UTC(year, month - 1, day);
      // Date.UTC maps years 0–99 to 1900–1999: a GeneralizedTime year 0050 is 0050
      if (year < 100) this.#dayMs = new Date(this.#dayMs).setUTCFullYear(year);
    }
    const q = p + dateLen;
    const hh = digits(b, q, 2);
    const mm = digits(b, q + 2, 2);
    const ss = digits(b, q + 4, 2);
    if (!(hh < 24 && mm < 60 && ss < 60)) throw new CrlParseError(`bad time at ${at}`);
    return this.#dayMs + ((hh * 60 + mm) * 60 + ss) * 1000;
  }

  #sameDate(b: Uint8Array, p: number, len: number): boolean {
    const c = this.#b;
    if (c === undefined || len !== this.#dateLen) return false;
    const q = this.#dateAt;
    if (c === b && q === p) return true;
    for (let i = 0; i < len; i++) if (c[q + i] !== b[p + i]) return false;
    return true;
  }
}

/** A time field outside the hot path (thisUpdate, nextUpdate). */
function readTime(b: Uint8Array, t: Tlv): number {
  return new TimeReader().read(b, t);
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
  /** Entries and serial length guessed from the first entry (to size an index once). */
  readonly entryEstimate: number;
  readonly serialEstimate: number;
  /** Calls `entry` for each revoked certificate (serial value bytes, time, reason or -1). */
  forEachEntry(
    entry: (b: Uint8Array, start: number, end: number, at: number, reason: number) => void,
  ): number;
}

const OID_SHA256_RSA = '2a864886f70d01010b';
const OID_CRL_NUMBER = '551d14';
const OID_DELTA = '551d1b';
const OID_AKI = '551d23';

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
  // A guess from the first entry, bounded by the bytes there are (an entry takes at least 20).
  let entryEstimate = 0;
  let serialEstimate = 1;
  if (rev && rev.end > rev.start) {
    const first = readTlv(b, rev.start, rev.end);
    // 5% more: the first entry may be a byte longer than most (a sign octet)
    entryEstimate = Math.ceil(
      (1.05 * (rev.end - rev.start)) / Math.max(20, first.end - first.headerStart),
    );
    const serial = first.end > first.start ? readTlv(b, first.start, first.end) : undefined;
    if (serial) {
      let s = serial.start;
      while (s < serial.end - 1 && b[s] === 0) s++;
      serialEstimate = Math.min(32, Math.max(1, serial.end - s));
    }
  }
  return {
    entryEstimate,
    serialEstimate,
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
      const times = new TimeReader();
      let n = 0;
      for (let q = rev.start; q < rev.end;) {
        // The common entry, read without objects: 30 L { 02 L serial, 17|18 L time },
        // every length in one octet, no extensions. Anything else (or anything that
        // does not fit) takes the general reading below, which says what is wrong.
        const len = b[q + 1]!;
        const e0 = q + 2 + len;
        const sl = b[q + 3]!;
        const t0 = q + 4 + sl;
        const tag = b[t0]!;
        const tl = b[t0 + 1]!;
        if (
          b[q] === 0x30 &&
          len < 0x80 &&
          e0 <= rev.end &&
          b[q + 2] === 0x02 &&
          sl > 0 &&
          sl < 0x80 &&
          t0 + 2 <= e0 &&
          (tag === 0x17 || tag === 0x18) &&
          tl < 0x80 &&
          t0 + 2 + tl === e0
        ) {
          let s = q + 4;
          while (s < t0 - 1 && b[s] === 0) s++;
          entry(b, s, t0, times.readAt(b, tag, t0 + 2, e0, t0), -1);
          n++;
          q = e0;
          continue;
        }
        const e = readTlv(b, q, rev.end);
        if (e.tag !== 0x30) throw new CrlParseError(`revoked entry at ${q} is not a SEQUENCE`);
        const serial = readTlv(b, e.start, e.end);
        if (serial.tag !== 0x02 || serial.end === serial.start) {
          throw new CrlParseError(`revoked entry at ${q} without a serial`);
        }
        const time = readTlv(b, serial.end, e.end);
        let reason = -1;
        if (time.end < e.end) {
          const exts = readTlv(b, time.end, e.end);
          if (exts.tag !== 0x30 || exts.end !== e.end) {
            throw new CrlParseError(`bad crlEntryExtensions at ${time.end}`);
          }
          for (let r = exts.start; r < exts.end;) {
            const ext = readTlv(b, r, exts.end);
            const id = readTlv(b, ext.start, ext.end);
            if (
              id.end - id.start === 3 &&
              b[id.start] === 0x55 &&
              b[id.start + 1] === 0x1d &&
              b[id.start + 2] === 0x15 // 2.5.29.21 reasonCode
            ) {
              let v = readTlv(b, id.end, ext.end);
              if (v.tag === 0x01) v = readTlv(b, v.end, ext.end);
              const en = readTlv(b, v.start, v.end);
              if (v.tag !== 0x04 || en.tag !== 0x0a || en.end - en.start !== 1) {
                throw new CrlParseError(`bad reasonCode at ${r}`);
              }
              reason = b[en.start]!;
              if (reason > 10)
                throw new CrlParseError(`reasonCode ${reason} at ${r} is not a CRLReason`);
            }
            r = ext.end;
          }
        }
        // strip the sign octet so 00 8x.. and 8x.. written either way match
        let s = serial.start;
        while (s < serial.end - 1 && b[s] === 0) s++;
        entry(b, s, serial.end, times.read(b, time), reason);
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

/**
 * Serials are stored in a fixed width of `width` bytes, left-padded with zeros:
 * an INTEGER's value, whatever its DER length. The width grows to the longest
 * serial seen up to WIDE (RFC 5280 allows 20 octets); longer ones, which no
 * conforming CA issues, are kept aside in a Map.
 */
const WIDE = 32;
/** Revocation times as seconds since 1950-01-01 (UTCTime's first year) in 32 bits: to 2086. */
const EPOCH_1950_S = -631_152_000;
const OUT_OF_RANGE = 0xffffffff;
/** A slot: entry + 1 in the low 27 bits, a removed flag, 4 bits of the hash as a tag. */
const ENTRY_BITS = 27;
const ENTRY_MASK = (1 << ENTRY_BITS) - 1;
const REMOVED_BIT = 1 << ENTRY_BITS;
const TAG_SHIFT = ENTRY_BITS + 1;
export const MAX_CRL_ENTRIES = ENTRY_MASK - 1;

/** FNV-1a-style mix of a serial's value bytes, four at a time. */
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
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Serial → revocation, for millions of entries. */
export class CrlIndex {
  // Entry i: its serial at keys[i*width .. (i+1)*width), left-padded; its revocation
  // time and reason beside. The open-addressing table holds entry + 1, the removed
  // flag and a hash tag per slot (4 bytes): a lookup reads one slot and one key,
  // two random memory accesses, which is what a lookup at this scale costs.
  #width = 16;
  #keys = new Uint8Array(16 * 1024);
  #time = new Uint32Array(1024); // seconds since 1950, or OUT_OF_RANGE (then in #farTimes)
  #reason = new Int8Array(1024);
  #capacity = 1024;
  #count = 0;
  #live = 0;
  #slots = new Uint32Array(2048);
  /** Times outside 1950–2086 (GeneralizedTime allows them), by entry. */
  readonly #farTimes = new Map<number, number>();
  /** Serials longer than WIDE octets (hex) → entry; their flags live here too. */
  readonly #long = new Map<string, { entry: number; removed: boolean }>();
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

  /** Revoked serials in the index (those removed by a delta CRL are not counted). */
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
    idx.#bulkLoad(info);
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
    // Stryker disable next-line ConditionalExpression: a bigint compared with undefined is false, so the test for undefined only reads better
    if (this.baseNumber !== undefined && info.deltaBase > this.baseNumber) {
      throw new CrlParseError(
        `delta CRL needs base #${info.deltaBase}, index holds #${this.baseNumber}`,
      );
    }
    if (
      // Stryker disable next-line ConditionalExpression,LogicalOperator: as above, `<= undefined` is false
      this.lastNumber !== undefined &&
      // Stryker disable next-line ConditionalExpression: as above, `undefined <=` is false
      info.crlNumber !== undefined &&
      info.crlNumber <= this.lastNumber
    ) {
      throw new CrlParseError(`delta CRL #${info.crlNumber} is not newer than #${this.lastNumber}`);
    }
    // parse the whole delta first: a bad entry half-way must leave the index as it was
    info.forEachEntry(() => {});
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
    return { revokedAt: new Date(this.#revokedMs(i)), reason: this.#reason[i]! };
  }

  /** Whether a serial (bytes, sign octet optional) is revoked: the hot path, no allocation. */
  has(serial: Uint8Array): boolean {
    return this.#findLive(serial) >= 0;
  }

  /** Bytes held by the index's arrays. */
  get byteSize(): number {
    return (
      this.#keys.byteLength +
      this.#time.byteLength +
      this.#reason.byteLength +
      this.#slots.byteLength
    );
  }

  #findLive(b: Uint8Array): number {
    let s = 0;
    while (s < b.length - 1 && b[s] === 0) s++;
    if (b.length === 0) return -1;
    if (b.length - s > WIDE) {
      const l = this.#long.get(Buffer.from(b.subarray(s)).toString('hex'));
      return l && !l.removed ? l.entry : -1;
    }
    const q = this.#probe(b, s, b.length);
    return q >= 0 && (this.#slots[q]! & REMOVED_BIT) === 0
      ? (this.#slots[q]! & ENTRY_MASK) - 1
      : -1;
  }

  /** Whether entry i's stored key is the value b[s..e) (no leading zero octets but for 0 itself). */
  #keyIs(i: number, b: Uint8Array, s: number, e: number): boolean {
    const w = this.#width;
    const keys = this.#keys;
    const o = i * w;
    const pad = w - (e - s);
    for (let k = 0; k < pad; k++) if (keys[o + k] !== 0) return false;
    for (let k = pad; k < w; k++) if (keys[o + k] !== b[s + k - pad]) return false;
    return true;
  }

  /**
   * The slot holding b[s..e) (a value of at most WIDE octets), or −(slot + 1) of the
   * empty slot where it would go.
   */
  #probe(b: Uint8Array, s: number, e: number, h: number = hash(b, s, e)): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const tag = h >>> TAG_SHIFT;
    if (e - s > this.#width) {
      // longer than any key stored: absent; its place is the first empty slot
      for (let j = h & mask; ; j = (j + 1) & mask) if (slots[j] === 0) return -(j + 1);
    }
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const v = slots[j]!;
      if (v === 0) return -(j + 1);
      if (v >>> TAG_SHIFT === tag && this.#keyIs((v & ENTRY_MASK) - 1, b, s, e)) return j;
    }
  }

  /**
   * A fresh index from a full CRL: the entries first, in CRL order (sized once from
   * the first one: a national CRL's entries all look alike), then their slots in the
   * order of their home slot. Put in CRL order, each of 10M serials lands on a random
   * slot of a 64 MiB table, a cache miss each; sorted by home slot first (a stable
   * counting sort on its top 16 bits), the inserts walk the table from one end to the
   * other. A serial listed twice keeps one entry with the later time and reason, as #put.
   */
  #bulkLoad(info: CrlInfo): void {
    this.#reserveEntries(info.entryEstimate, info.serialEstimate);
    let hashes = new Uint32Array(Math.max(1024, info.entryEstimate));
    const long = new Set<number>(); // entries of serials over WIDE octets: in #long, not the table
    info.forEachEntry((b, s, e, at, reason) => {
      if (e - s > WIDE) {
        const before = this.#count;
        this.#putLong(b, s, e, at, reason);
        if (this.#count > before) long.add(before);
        return;
      }
      if (e - s > this.#width) this.#widen(e - s);
      const i = this.#newEntry();
      if (i >= hashes.length) {
        const more = new Uint32Array(Math.max(i + 1, Math.ceil(hashes.length * 1.5)));
        more.set(hashes);
        hashes = more;
      }
      const w = this.#width;
      const keys = this.#keys;
      const o = i * w + w - (e - s);
      for (let k = s; k < e; k++) keys[o + k - s] = b[k]!;
      this.#setTime(i, at);
      this.#reason[i] = reason;
      hashes[i] = hash(b, s, e);
    });
    const n = this.#count;
    let cap = this.#slots.length;
    while (cap * 0.7 < n) cap *= 2;
    const mask = cap - 1;
    const bits = 31 - Math.clz32(cap);
    const shift = bits - Math.min(bits, 16);
    const starts = new Uint32Array((1 << (bits - shift)) + 1);
    for (let i = 0; i < n; i++) {
      if (long.size > 0 && long.has(i)) continue;
      starts[((hashes[i]! & mask) >>> shift) + 1]!++;
    }
    for (let j = 1; j < starts.length; j++) starts[j]! += starts[j - 1]!;
    const m = starts[starts.length - 1]!;
    const order = new Uint32Array(m);
    const orderHash = new Uint32Array(m);
    for (let i = 0; i < n; i++) {
      if (long.size > 0 && long.has(i)) continue;
      const h = hashes[i]!;
      const x = starts[(h & mask) >>> shift]!++;
      order[x] = i;
      orderHash[x] = h;
    }
    hashes = new Uint32Array(0);
    const slots = new Uint32Array(cap);
    for (let x = 0; x < m; x++) {
      const i = order[x]!;
      const h = orderHash[x]!;
      const tag = h >>> TAG_SHIFT;
      let j = h & mask;
      let twin = -1;
      for (; slots[j] !== 0; j = (j + 1) & mask) {
        const v = slots[j]!;
        if (v >>> TAG_SHIFT === tag && this.#sameKey((v & ENTRY_MASK) - 1, i)) {
          twin = (v & ENTRY_MASK) - 1;
          break;
        }
      }
      if (twin < 0) {
        slots[j] = (tag << TAG_SHIFT) | (i + 1);
        this.#live++;
      } else {
        // the same serial again, later in the CRL (a stable sort: twin < i): its time
        // and reason win; entry i stays unused
        this.#setTime(twin, this.#revokedMs(i));
        this.#reason[twin] = this.#reason[i]!;
        this.#farTimes.delete(i);
      }
    }
    this.#slots = slots;
  }

  /** Whether entries i and j hold the same serial (both keys in the same width). */
  #sameKey(i: number, j: number): boolean {
    const w = this.#width;
    const keys = this.#keys;
    for (let k = 0; k < w; k++) if (keys[i * w + k] !== keys[j * w + k]) return false;
    return true;
  }

  #revokedMs(i: number): number {
    const t = this.#time[i]!;
    return t === OUT_OF_RANGE ? this.#farTimes.get(i)! : (t + EPOCH_1950_S) * 1000;
  }

  #reserve(entries: number, width: number): void {
    this.#reserveEntries(entries, width);
    // load factor at most 0.7 with linear probing
    let cap = this.#slots.length;
    while (cap * 0.7 < entries) cap *= 2;
    if (cap !== this.#slots.length) this.#rehash(cap);
  }

  /** Room for `entries` entries of serials up to `width` octets (the table is not touched). */
  #reserveEntries(entries: number, width: number): void {
    if (width > this.#width && width <= WIDE) this.#widen(width);
    if (entries > this.#capacity) {
      const keys = new Uint8Array(entries * this.#width);
      keys.set(this.#keys.subarray(0, this.#count * this.#width));
      this.#keys = keys;
      const time = new Uint32Array(entries);
      time.set(this.#time.subarray(0, this.#count));
      this.#time = time;
      const reason = new Int8Array(entries);
      reason.set(this.#reason.subarray(0, this.#count));
      this.#reason = reason;
      this.#capacity = entries;
    }
  }

  /** Every key re-laid in a wider width (a longer serial came). */
  #widen(width: number): void {
    const old = this.#width;
    const keys = new Uint8Array(this.#capacity * width);
    for (let i = 0; i < this.#count; i++)
      keys.set(this.#keys.subarray(i * old, (i + 1) * old), i * width + width - old);
    this.#keys = keys;
    this.#width = width;
  }

  #rehash(cap: number): void {
    const old = this.#slots;
    const slots = new Uint32Array(cap);
    const mask = cap - 1;
    const w = this.#width;
    for (const v of old) {
      if (v === 0) continue;
      const i = (v & ENTRY_MASK) - 1;
      // the hash is of the value: the key without its padding
      let s = i * w;
      while (s < (i + 1) * w - 1 && this.#keys[s] === 0) s++;
      let j = hash(this.#keys, s, (i + 1) * w) & mask;
      while (slots[j] !== 0) j = (j + 1) & mask;
      slots[j] = v;
    }
    this.#slots = slots;
  }

  #setTime(i: number, ms: number): void {
    const t = Math.floor(ms / 1000) - EPOCH_1950_S;
    if (t >= 0 && t < OUT_OF_RANGE) {
      this.#time[i] = t;
      if (this.#farTimes.size > 0) this.#farTimes.delete(i);
    } else {
      this.#time[i] = OUT_OF_RANGE;
      this.#farTimes.set(i, ms);
    }
  }

  #put(b: Uint8Array, s: number, e: number, at: number, reason: number): void {
    if (e - s > WIDE) return this.#putLong(b, s, e, at, reason);
    if (e - s > this.#width) this.#widen(e - s);
    const h = hash(b, s, e);
    let q = this.#probe(b, s, e, h);
    if (q >= 0) {
      // already there (re-revoked, or revoked again after a removeFromCRL)
      const v = this.#slots[q]!;
      if (v & REMOVED_BIT) {
        this.#slots[q] = v & ~REMOVED_BIT;
        this.#live++;
      }
      const i = (v & ENTRY_MASK) - 1;
      this.#setTime(i, at);
      this.#reason[i] = reason;
      return;
    }
    const slots = this.#slots;
    const i = this.#newEntry();
    if (this.#slots.length * 0.7 < this.#count) this.#reserve(this.#count, this.#width);
    if (this.#slots !== slots) q = this.#probe(b, s, e, h); // rehashed meanwhile
    const w = this.#width;
    const o = i * w + w - (e - s);
    for (let k = s; k < e; k++) this.#keys[o + k - s] = b[k]!;
    this.#setTime(i, at);
    this.#reason[i] = reason;
    this.#slots[-q - 1] = ((h >>> TAG_SHIFT) << TAG_SHIFT) | (i + 1);
    this.#live++;
  }

  /** A new entry's number, the arrays grown when full. */
  #newEntry(): number {
    if (this.#count === MAX_CRL_ENTRIES)
      throw new CrlParseError(`more than ${MAX_CRL_ENTRIES} entries`);
    if (this.#count === this.#capacity)
      this.#reserveEntries(Math.ceil(this.#capacity * 1.5), this.#width);
    return this.#count++;
  }

  #putLong(b: Uint8Array, s: number, e: number, at: number, reason: number): void {
    if (e - s > 255) throw new CrlParseError('serial longer than 255 bytes');
    const key = Buffer.from(b.subarray(s, e)).toString('hex');
    let l = this.#long.get(key);
    if (!l) {
      l = { entry: this.#newEntry(), removed: true };
      this.#long.set(key, l);
    }
    if (l.removed) this.#live++;
    l.removed = false;
    this.#setTime(l.entry, at);
    this.#reason[l.entry] = reason;
  }

  #remove(b: Uint8Array, s: number, e: number): void {
    if (e - s > WIDE) {
      const l = this.#long.get(Buffer.from(b.subarray(s, e)).toString('hex'));
      if (l && !l.removed) {
        l.removed = true;
        this.#live--;
      }
      return;
    }
    const q = this.#probe(b, s, e);
    if (q >= 0 && (this.#slots[q]! & REMOVED_BIT) === 0) {
      this.#slots[q] = this.#slots[q]! | REMOVED_BIT;
      this.#live--;
    }
  }
}
