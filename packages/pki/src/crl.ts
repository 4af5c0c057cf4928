/**
 * Full and delta CRLs (RFC 5280 §5) of one issuing CA, written directly in DER:
 * a national CRL has millions of entries, and an X.509 library's object per entry
 * (and its checks across entries) took seconds for ten thousand. The entries go
 * into one buffer sized up front; the CA key signs the tbsCertList in its store.
 */
import { certificateParts, der, oidContent, x509Time } from './der.ts';
import type { IssuerKey } from './keyStore.ts';
import { CRL_REASON, type Revocation } from './revocation.ts';

/** DER INTEGER content of a non-negative integer (minimal, positive). */
export function integerContent(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad CRL number ${n}`);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export const OID_CRL_NUMBER = '2.5.29.20';
export const OID_DELTA_CRL_INDICATOR = '2.5.29.27';

/** Entries by position; an array of Revocation is one. */
export interface CrlEntries {
  readonly length: number;
  at(i: number): Revocation | undefined;
}

export interface CrlParams {
  /** The CA certificate (DER): its subject is the CRL's issuer, its SKI the AKI. */
  readonly ca: Uint8Array;
  /** The CA's key, in its key store. */
  readonly caKey: IssuerKey;
  /** The revoked certificates: an array, or a view that makes each on demand (no million objects). */
  readonly entries: CrlEntries;
  readonly number: number;
  /** For a delta CRL: the number of the full CRL it completes. */
  readonly baseNumber?: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

const SHA256_RSA = der(
  0x30,
  der(0x06, oidContent('1.2.840.113549.1.1.11')),
  Uint8Array.of(0x05, 0x00),
);

const YIELD_EVERY = 65_536;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** DER length octets. */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** crlEntryExtensions { reasonCode } up to the reason's value. */
// prettier-ignore
const REASON_EXT_HEAD = Uint8Array.of(
  0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01,
);

/** Whether an ISO time string is exactly `YYYY-MM-DDTHH:MM:SS[.sss]Z` (what the issuer writes). */
function isIsoUtc(t: string): boolean {
  return (
    (t.length === 24 || t.length === 20) &&
    t.charCodeAt(4) === 0x2d &&
    t.charCodeAt(7) === 0x2d &&
    t.charCodeAt(10) === 0x54 &&
    t.charCodeAt(13) === 0x3a &&
    t.charCodeAt(16) === 0x3a &&
    t.charCodeAt(t.length - 1) === 0x5a
  );
}

/** Positions in an ISO string of the digits of YYYYMMDDHHMMSS. */
const ISO_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * The revokedCertificates SEQUENCE, written into one buffer in two passes (sizes,
 * then bytes) with no object per entry: a national CRL has millions of them.
 */
async function revokedList(entries: CrlEntries): Promise<Uint8Array> {
  const isoOf = (r: Revocation) =>
    isIsoUtc(r.revokedAt) ? r.revokedAt : new Date(r.revokedAt).toISOString();
  const innerOf = (r: Revocation): number => {
    const hexLen = r.serial.length + (r.serial.length % 2);
    const first = parseInt(r.serial.length % 2 ? '0' + r.serial[0] : r.serial.slice(0, 2), 16);
    const serialLen = hexLen / 2 + (first & 0x80 ? 1 : 0);
    const t = isoOf(r);
    const timeLen = t < '2050' ? 13 : 15;
    return (
      2 + serialLen + 2 + timeLen + (CRL_REASON[r.reason] === 0 ? 0 : REASON_EXT_HEAD.length + 1)
    );
  };
  let body = 0;
  for (let i = 0; i < entries.length; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop(); // a server keeps answering
    const inner = innerOf(entries.at(i)!);
    body += 1 + lengthOctets(inner).length + inner;
  }
  const head = [0x30, ...lengthOctets(body)];
  const out = Buffer.allocUnsafe(head.length + body);
  out.set(head, 0);
  let o = head.length;
  for (let i = 0; i < entries.length; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop(); // a server keeps answering
    const r = entries.at(i)!;
    const inner = innerOf(r);
    out[o++] = 0x30;
    for (const x of lengthOctets(inner)) out[o++] = x;
    // userCertificate INTEGER (positive: a 00 octet before a high first bit)
    const hex = r.serial.length % 2 ? '0' + r.serial : r.serial;
    const pad = parseInt(hex.slice(0, 2), 16) & 0x80 ? 1 : 0;
    out[o++] = 0x02;
    out[o++] = hex.length / 2 + pad;
    if (pad) out[o++] = 0;
    o += out.write(hex, o, 'hex');
    // revocationDate: UTCTime through 2049, GeneralizedTime after
    const t = isoOf(r);
    const utc = t < '2050';
    out[o++] = utc ? 0x17 : 0x18;
    out[o++] = utc ? 13 : 15;
    for (let k = utc ? 2 : 0; k < ISO_DIGITS.length; k++) out[o++] = t.charCodeAt(ISO_DIGITS[k]!);
    out[o++] = 0x5a; // Z
    const reason = CRL_REASON[r.reason];
    if (reason !== 0) {
      // crlEntryExtensions { reasonCode }: 30 0c 30 0a 06 03 55 1d 15 04 03 0a 01 <reason>
      out.set(REASON_EXT_HEAD, o);
      o += REASON_EXT_HEAD.length;
      out[o++] = reason;
    }
  }
  return out;
}

export async function buildCrl(p: CrlParams): Promise<Uint8Array> {
  const { subject: name, ski } = certificateParts(p.ca);
  const extensions: Uint8Array[] = [];
  // authorityKeyIdentifier { keyIdentifier [0] } — the CA certificate's SKI
  if (ski) {
    extensions.push(
      der(0x30, der(0x06, oidContent('2.5.29.35')), der(0x04, der(0x30, der(0x80, ski)))),
    );
  }
  extensions.push(
    der(
      0x30,
      der(0x06, oidContent(OID_CRL_NUMBER)),
      der(0x04, der(0x02, integerContent(p.number))),
    ),
  );
  if (p.baseNumber !== undefined) {
    extensions.push(
      der(
        0x30,
        der(0x06, oidContent(OID_DELTA_CRL_INDICATOR)),
        Uint8Array.of(0x01, 0x01, 0xff), // critical
        der(0x04, der(0x02, integerContent(p.baseNumber))),
      ),
    );
  }
  const tbs = der(
    0x30,
    Uint8Array.of(0x02, 0x01, 0x01), // v2
    SHA256_RSA,
    name,
    x509Time(p.thisUpdate),
    x509Time(p.nextUpdate),
    ...(p.entries.length > 0 ? [await revokedList(p.entries)] : []),
    der(0xa0, der(0x30, ...extensions)),
  );
  const signature = await p.caKey.sign(tbs);
  return der(0x30, tbs, SHA256_RSA, der(0x03, Uint8Array.of(0), signature));
}
