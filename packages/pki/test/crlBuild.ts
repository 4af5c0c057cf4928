/**
 * DER CRLs and CA certificates built field by field for the CRL index's tests, so a
 * test can change one field (an extension, the algorithm, a length form) and see
 * what the parser makes of it. Small RSA keys: these tests are about the bytes.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { der, oidContent } from '../src/der.ts';

export const key = () => generateKeyPairSync('rsa', { modulusLength: 1024 });

/** A Name of one RDN, C=<country>. */
export const nameOf = (country: string) =>
  der(
    0x30,
    der(0x31, der(0x30, der(0x06, oidContent('2.5.4.6')), der(0x13, Buffer.from(country)))),
  );

export const sha256Rsa = der(
  0x30,
  der(0x06, oidContent('1.2.840.113549.1.1.11')),
  Uint8Array.of(5, 0),
);
export const sha1Rsa = der(
  0x30,
  der(0x06, oidContent('1.2.840.113549.1.1.5')),
  Uint8Array.of(5, 0),
);

/** UTCTime (13 characters) or GeneralizedTime (any other length), as written. */
export const time = (s: string) => der(s.length === 13 ? 0x17 : 0x18, Buffer.from(s, 'latin1'));

/** One Extension: OID, the critical flag when asked, the OCTET STRING around `value`. */
export const ext = (oid: string, value: Uint8Array, critical = false) =>
  der(
    0x30,
    der(0x06, oidContent(oid)),
    ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []),
    der(0x04, value),
  );

/** cRLNumber with the INTEGER's content bytes as given. */
export const crlNumber = (content: Uint8Array) => ext('2.5.29.20', der(0x02, content));
/** deltaCRLIndicator (critical, as RFC 5280 requires) naming the base CRL number. */
export const deltaBase = (content: Uint8Array) => ext('2.5.29.27', der(0x02, content), true);
/** authorityKeyIdentifier: [0] keyIdentifier, after [1] issuer and [2] serial when asked. */
export const aki = (keyId: Uint8Array, withIssuerAndSerial = false) =>
  ext(
    '2.5.29.35',
    der(
      0x30,
      ...(withIssuerAndSerial
        ? [der(0xa1, Uint8Array.of(0xa4, 0)), der(0x82, Uint8Array.of(7))]
        : []),
      der(0x80, keyId),
    ),
  );
export const reason = (r: number) => ext('2.5.29.21', der(0x0a, Uint8Array.of(r)));

/** One revokedCertificates entry: the serial INTEGER's content as given. */
export const entry = (serial: Uint8Array, when: Uint8Array, ...exts: Uint8Array[]) =>
  der(0x30, der(0x02, serial), when, ...(exts.length ? [der(0x30, ...exts)] : []));

export interface CrlParts {
  issuer?: Uint8Array;
  thisUpdate?: Uint8Array;
  /** null: no nextUpdate */
  nextUpdate?: Uint8Array | null;
  /** undefined: no revokedCertificates field */
  entries?: Uint8Array[];
  exts?: Uint8Array[];
  /** the algorithm inside tbsCertList and outside (both sha256WithRSA unless told) */
  innerAlg?: Uint8Array;
  outerAlg?: Uint8Array;
  signer?: KeyObject;
  /** the BIT STRING's unused-bits octet */
  unusedBits?: number;
  /** fields after the extensions, inside tbsCertList */
  extra?: Uint8Array[];
}

export function buildCrl(signer: KeyObject, p: CrlParts = {}): Uint8Array {
  const tbs = der(
    0x30,
    der(0x02, Uint8Array.of(1)),
    p.innerAlg ?? sha256Rsa,
    p.issuer ?? nameOf('JP'),
    p.thisUpdate ?? time('261101000000Z'),
    ...(p.nextUpdate === null ? [] : [p.nextUpdate ?? time('261201000000Z')]),
    ...(p.entries ? [der(0x30, ...p.entries)] : []),
    ...(p.exts ? [der(0xa0, der(0x30, ...p.exts))] : []),
    ...(p.extra ?? []),
  );
  const sig = createSign('sha256')
    .update(tbs)
    .sign(p.signer ?? signer);
  return der(0x30, tbs, p.outerAlg ?? sha256Rsa, der(0x03, Uint8Array.of(p.unusedBits ?? 0), sig));
}

/** A self-signed CA certificate of `name` with a subjectKeyIdentifier when given. */
export function caCertificate(
  pair: { publicKey: KeyObject; privateKey: KeyObject },
  name: Uint8Array,
  ski?: Uint8Array,
): Uint8Array {
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, Uint8Array.of(2))),
    der(0x02, Uint8Array.of(1)),
    sha256Rsa,
    name,
    der(0x30, time('260101000000Z'), time('360101000000Z')),
    name,
    Uint8Array.from(spki),
    ...(ski ? [der(0xa3, der(0x30, ext('2.5.29.14', der(0x04, ski))))] : []),
  );
  const sig = createSign('sha256').update(tbs).sign(pair.privateKey);
  return der(0x30, tbs, sha256Rsa, der(0x03, Uint8Array.of(0), sig));
}
