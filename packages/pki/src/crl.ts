/** Full and delta CRLs (RFC 5280 §5) of one issuing CA. */
import { signingKeyOf, x509 } from './x509.ts';
import { der } from './der.ts';
import { RSA_SHA256, type IssuerKey } from './keyStore.ts';
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
  readonly ca: x509.X509Certificate;
  /** The CA's key, in its key store. */
  readonly caKey: IssuerKey;
  readonly entries: readonly Revocation[];
  readonly number: number;
  /** For a delta CRL: the number of the full CRL it completes. */
  readonly baseNumber?: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export async function buildCrl(p: CrlParams): Promise<Uint8Array> {
  const extensions: x509.Extension[] = [
    await x509.AuthorityKeyIdentifierExtension.create(p.caKey.publicKey),
    new x509.Extension(OID_CRL_NUMBER, false, der(0x02, integerContent(p.number))),
  ];
  if (p.baseNumber !== undefined) {
    extensions.push(
      new x509.Extension(OID_DELTA_CRL_INDICATOR, true, der(0x02, integerContent(p.baseNumber))),
    );
  }
  const crl = await x509.X509CrlGenerator.create({
    issuer: p.ca.subject,
    thisUpdate: p.thisUpdate,
    nextUpdate: p.nextUpdate,
    signingAlgorithm: RSA_SHA256,
    signingKey: signingKeyOf(p.caKey),
    extensions,
    entries: p.entries.map((r) => {
      const reason = CRL_REASON[r.reason];
      return {
        serialNumber: r.serial,
        revocationDate: new Date(r.revokedAt),
        ...(reason === x509.X509CrlReason.unspecified ? {} : { reason }),
      };
    }),
  });
  return new Uint8Array(crl.rawData);
}
