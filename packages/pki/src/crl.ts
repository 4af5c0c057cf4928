/**
 * Full and delta CRLs (RFC 5280 §5) of one issuing CA, written directly in DER:
 * a national CRL has millions of entries, and an X.509 library's object per entry
 * (and its checks across entries) took seconds for ten thousand. The entries go
 * into one buffer sized up front; the CA key signs the tbsCertList in its store.
 */
import { certificateParts, der, oidContent } from './der.ts';
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

export interface CrlParams {
  /** The CA certificate (DER): its subject is the CRL's issuer, its SKI the AKI. */
  readonly ca: Uint8Array;
  /** The CA's key, in its key store. */
  readonly caKey: IssuerKey;
  readonly entries: readonly Revocation[];
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
const REASON_OID = der(0x06, oidContent('2.5.29.21'));

/** DER length octets. */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §5.1.2.4). */
function time(d: Date): Uint8Array {
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

/** The revokedCertificates SEQUENCE, written into one buffer. */
function revokedList(entries: readonly Revocation[]): Uint8Array {
  const encoded = entries.map((r) => {
    let serial = Buffer.from(r.serial.length % 2 ? '0' + r.serial : r.serial, 'hex');
    if (serial[0]! & 0x80) serial = Buffer.concat([Buffer.of(0), serial]); // positive INTEGER
    const reason = CRL_REASON[r.reason];
    return {
      serial,
      when: time(new Date(r.revokedAt)),
      // crlEntryExtensions { reasonCode } unless unspecified
      ext:
        reason === 0
          ? undefined
          : der(0x30, der(0x30, REASON_OID, der(0x04, Uint8Array.of(0x0a, 0x01, reason)))),
    };
  });
  let body = 0;
  const sizes = encoded.map((e) => {
    const inner = 2 + e.serial.length + e.when.length + (e.ext?.length ?? 0);
    const size = 1 + lengthOctets(inner).length + inner;
    body += size;
    return inner;
  });
  const head = [0x30, ...lengthOctets(body)];
  const out = Buffer.allocUnsafe(head.length + body);
  out.set(head, 0);
  let o = head.length;
  for (let i = 0; i < encoded.length; i++) {
    const e = encoded[i]!;
    const h = [0x30, ...lengthOctets(sizes[i]!), 0x02, e.serial.length];
    out.set(h, o);
    o += h.length;
    out.set(e.serial, o);
    o += e.serial.length;
    out.set(e.when, o);
    o += e.when.length;
    if (e.ext) {
      out.set(e.ext, o);
      o += e.ext.length;
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
    time(p.thisUpdate),
    time(p.nextUpdate),
    ...(p.entries.length > 0 ? [revokedList(p.entries)] : []),
    der(0xa0, der(0x30, ...extensions)),
  );
  const signature = await p.caKey.sign(tbs);
  return der(0x30, tbs, SHA256_RSA, der(0x03, Uint8Array.of(0), signature));
}
