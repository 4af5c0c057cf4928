/**
 * A revocation index for national-scale CRLs (地方認証PF CRL 方式): millions of
 * revoked serials, built by walking the DER directly (X.509 libraries parse a CRL
 * into objects per entry and refuse large ones), kept in flat typed arrays with
 * an open-addressing hash table, so a lookup is a few array reads. Delta CRLs
 * update it in place.
 */
import { createVerify } from 'node:crypto';

export class CrlParseError extends Error {
  override readonly name = 'CrlParseError';
  readonly code = 'BAD_CRL';
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

function readTime(b: Uint8Array, t: Tlv): number {
  const s = Buffer.from(b.subarray(t.start, t.end)).toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return Date.UTC(
      yy < 50 ? 2000 + yy : 1900 + yy,
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
  }
  if (t.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s))) {
    return Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
  }
  throw new CrlParseError(`bad time ${JSON.stringify(s)}`);
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
  /** Calls `entry` for each revoked certificate (serial value bytes, time, reason or -1). */
  forEachEntry(
    entry: (b: Uint8Array, start: number, end: number, at: number, reason: number) => void,
  ): number;
}

const OID_SHA256_RSA = '2a864886f70d01010b';
const OID_CRL_NUMBER = '551d14';
const OID_DELTA = '551d1b';
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
  const oidT = readTlv(b, algT.start, algT.end);
  let p = tbsT.start;
  let t = readTlv(b, p, tbsT.end);
  if (t.tag === 0x02) {
    p = t.end; // version
    t = readTlv(b, p, tbsT.end);
  }
  p = t.end; // inner signature AlgorithmIdentifier
  const issuerT = readTlv(b, p, tbsT.end);
  if (issuerT.tag !== 0x30) throw new CrlParseError('issuer is not a Name');
  const thisT = readTlv(b, issuerT.end, tbsT.end);
  const thisUpdate = readTime(b, thisT);
  p = thisT.end;
  let nextUpdate: number | undefined;
  let revoked: Tlv | undefined;
  let crlNumber: bigint | undefined;
  let deltaBase: bigint | undefined;
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

function hash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Serial → revocation, for millions of entries. */
export class CrlIndex {
  #pool = new Uint8Array(1 << 16);
  #poolUsed = 0;
  #off = new Uint32Array(1024);
  #len = new Uint8Array(1024);
  #at = new Float64Array(1024);
  #reason = new Int8Array(1024);
  #removed = new Uint8Array(1024);
  #count = 0;
  #live = 0;
  #slots = new Uint32Array(2048); // entry index + 1; 0 = empty
  /** CRL number of the full CRL last applied, and of the last delta. */
  baseNumber: bigint | undefined;
  lastNumber: bigint | undefined;

  get size(): number {
    return this.#live;
  }

  /** Builds an index from a full DER CRL (signature checked by the caller). */
  static fromCrl(der: Uint8Array): CrlIndex {
    const info = parseCrl(der);
    if (info.deltaBase !== undefined) throw new CrlParseError('a delta CRL cannot start an index');
    const idx = new CrlIndex();
    idx.#reserve(Math.max(16, Math.ceil(der.length / 40)));
    info.forEachEntry((b, s, e, at, reason) => idx.#put(b, s, e, at, reason));
    idx.baseNumber = info.crlNumber;
    idx.lastNumber = info.crlNumber;
    return idx;
  }

  /** Applies a delta CRL whose base is this index's full CRL (removeFromCRL entries un-revoke). */
  applyDelta(der: Uint8Array): number {
    const info = parseCrl(der);
    if (info.deltaBase === undefined)
      throw new CrlParseError('not a delta CRL (no delta CRL indicator)');
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
    return n;
  }

  /** The revocation of a serial (hex or bytes, with or without a leading 00), if any. */
  lookup(serial: string | Uint8Array): RevokedEntry | undefined {
    const b =
      typeof serial === 'string'
        ? Uint8Array.from(Buffer.from(serial.replace(/[\s:]/g, ''), 'hex'))
        : serial;
    let s = 0;
    while (s < b.length - 1 && b[s] === 0) s++;
    const i = this.#find(b, s, b.length);
    if (i < 0 || this.#removed[i]) return undefined;
    return { revokedAt: new Date(this.#at[i]!), reason: this.#reason[i]! };
  }

  /** Bytes held by the index's arrays. */
  get byteSize(): number {
    return (
      this.#pool.byteLength +
      this.#off.byteLength +
      this.#len.byteLength +
      this.#at.byteLength +
      this.#reason.byteLength +
      this.#removed.byteLength +
      this.#slots.byteLength
    );
  }

  #find(b: Uint8Array, s: number, e: number): number {
    const mask = this.#slots.length - 1;
    const n = e - s;
    for (let h = hash(b, s, e) & mask; ; h = (h + 1) & mask) {
      const v = this.#slots[h]!;
      if (v === 0) return -1;
      const i = v - 1;
      if (this.#len[i] === n) {
        const o = this.#off[i]!;
        let k = 0;
        while (k < n && this.#pool[o + k] === b[s + k]) k++;
        if (k === n) return i;
      }
    }
  }

  #reserve(entries: number): void {
    if (entries <= this.#off.length) return;
    const grow = <T extends Uint32Array | Uint8Array | Float64Array | Int8Array>(
      a: T,
      n: number,
    ): T => {
      const c = new (a.constructor as new (n: number) => T)(n);
      c.set(a);
      return c;
    };
    this.#off = grow(this.#off, entries);
    this.#len = grow(this.#len, entries);
    this.#at = grow(this.#at, entries);
    this.#reason = grow(this.#reason, entries);
    this.#removed = grow(this.#removed, entries);
    let cap = this.#slots.length;
    while (cap < entries * 2) cap *= 2;
    if (cap !== this.#slots.length) {
      this.#slots = new Uint32Array(cap);
      for (let i = 0; i < this.#count; i++) this.#slot(i);
    }
  }

  #slot(i: number): void {
    const mask = this.#slots.length - 1;
    const o = this.#off[i]!;
    for (let h = hash(this.#pool, o, o + this.#len[i]!) & mask; ; h = (h + 1) & mask) {
      if (this.#slots[h] === 0) {
        this.#slots[h] = i + 1;
        return;
      }
    }
  }

  #put(b: Uint8Array, s: number, e: number, at: number, reason: number): void {
    const found = this.#find(b, s, e);
    if (found >= 0) {
      if (this.#removed[found]) this.#live++;
      this.#removed[found] = 0;
      this.#at[found] = at;
      this.#reason[found] = reason;
      return;
    }
    if (e - s > 255) throw new CrlParseError('serial longer than 255 bytes');
    if (this.#count === this.#off.length) this.#reserve(this.#count * 2);
    if (this.#poolUsed + (e - s) > this.#pool.length) {
      const p = new Uint8Array(Math.max(this.#pool.length * 2, this.#poolUsed + (e - s)));
      p.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = p;
    }
    const i = this.#count++;
    this.#pool.set(b.subarray(s, e), this.#poolUsed);
    this.#off[i] = this.#poolUsed;
    this.#len[i] = e - s;
    this.#poolUsed += e - s;
    this.#at[i] = at;
    this.#reason[i] = reason;
    this.#slot(i);
    this.#live++;
  }

  #remove(b: Uint8Array, s: number, e: number): void {
    const i = this.#find(b, s, e);
    if (i >= 0 && !this.#removed[i]) {
      this.#removed[i] = 1;
      this.#live--;
    }
  }
}
