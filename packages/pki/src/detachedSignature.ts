/**
 * Detached signatures over files the platform publishes (the status feed's daily
 * list): CMS SignedData (RFC 5652) without the content, so the file stays as it is
 * and its `.p7s` beside it is checked with the platform's published certificate —
 * by us (`verifyDetached`) or by anyone with OpenSSL:
 *
 *   openssl cms -verify -binary -inform DER -in list.csv.p7s -content list.csv \
 *     -CAfile platform.pem -purpose any
 *
 * Written by hand over the DER helpers (a SignedData with one signer is small and
 * fixed); the private key stays in its key store (a file or a PKCS#11 token), which
 * is asked only "sign these bytes". The signer is a self-signed certificate of its
 * own, not one of the JPKI issuer's CAs: the platform that runs the feed is not the
 * card's certificate authority.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Text } from '@myna-ap/text';
import { der, oidContent, x509Time } from './der.ts';
import { PKI_DATA_ERRORS, PkiError, detailText, type PkiDataErrorCode } from './errors.ts';
import { RSA_SHA256, type IssuerKey, type KeyId, type KeyStore } from './keyStore.ts';
import { newSerial } from './issuer.ts';
import { signingKeyOf, x509 } from './x509.ts';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

export class SignedFileError extends Error {
  override readonly name = 'SignedFileError';
  readonly code: Extract<PkiDataErrorCode, 'BAD_CMS' | 'CMS_BAD_SIGNATURE'>;
  constructor(code: SignedFileError['code'], message: string) {
    super(message);
    this.code = code;
  }
  get text(): Text {
    return detailText(PKI_DATA_ERRORS[this.code], this.message);
  }
}

/** A key in a store and its certificate: who signs the published files. */
export interface FileSigner {
  readonly key: IssuerKey;
  /** The signer's certificate (DER): publish it; systems pin it. */
  readonly certificate: Uint8Array;
}

const oid = (o: string) => der(0x06, oidContent(o));
const algorithm = (o: string) => der(0x30, oid(o), Uint8Array.of(0x05, 0x00));

/** DER SET OF: its elements sorted by their encodings (X.690 11.6). */
function setOf(tag: number, items: Uint8Array[]): Uint8Array {
  return der(tag, ...[...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** The certificate's issuer Name and serialNumber INTEGER, DER (the signer's id). */
function issuerAndSerial(certificate: Uint8Array): Uint8Array {
  const cert = pkijs.Certificate.fromBER(certificate);
  return der(
    0x30,
    new Uint8Array(cert.issuer.toSchema().toBER(false)),
    new Uint8Array(cert.serialNumber.toBER(false)),
  );
}

/** The signed attributes (content type, time, digest), as a DER SET OF. */
function signedAttributes(content: Uint8Array, at: Date, tag: number): Uint8Array {
  const attribute = (type: string, value: Uint8Array) => der(0x30, oid(type), der(0x31, value));
  return setOf(tag, [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.signingTime, x509Time(at)),
    attribute(OID.messageDigest, der(0x04, createHash('sha256').update(content).digest())),
  ]);
}

/** A detached CMS SignedData (DER) over `content`, made by `signer` at `at`. */
export async function signDetached(
  content: Uint8Array,
  signer: FileSigner,
  at: Date = new Date(),
): Promise<Uint8Array> {
  // The signature covers the attributes encoded as a SET (tag 31), though they are
  // carried as [0] IMPLICIT (tag A0): RFC 5652 5.4.
  const signature = await signer.key.sign(signedAttributes(content, at, 0x31));
  const signerInfo = der(
    0x30,
    der(0x02, Uint8Array.of(1)),
    issuerAndSerial(signer.certificate),
    algorithm(OID.sha256),
    signedAttributes(content, at, 0xa0),
    algorithm(OID.sha256WithRsa),
    der(0x04, signature),
  );
  const signedData = der(
    0x30,
    der(0x02, Uint8Array.of(1)),
    der(0x31, algorithm(OID.sha256)),
    der(0x30, oid(OID.data)), // encapContentInfo without eContent: detached
    der(0xa0, signer.certificate),
    der(0x31, signerInfo),
  );
  return der(0x30, oid(OID.signedData), der(0xa0, signedData));
}

export interface DetachedCheck {
  /** When the signer says it signed (the signingTime attribute). */
  readonly signedAt: Date;
}

/**
 * Checks a detached CMS signature over `content` against the one certificate the
 * caller trusts (the platform's, pinned). Throws SignedFileError: BAD_CMS for
 * bytes that are not such a signature, CMS_BAD_SIGNATURE when the content, the
 * signer or the signature is not the trusted one's.
 */
export function verifyDetached(
  content: Uint8Array,
  signature: Uint8Array,
  trusted: Uint8Array,
): DetachedCheck {
  let signerInfo: pkijs.SignerInfo;
  try {
    const asn = asn1js.fromBER(signature);
    if (asn.offset !== signature.length) throw new Error('trailing bytes');
    const info = new pkijs.ContentInfo({ schema: asn.result });
    if (info.contentType !== OID.signedData) throw new Error('not SignedData');
    const sd = new pkijs.SignedData({ schema: info.content });
    if (sd.encapContentInfo.eContent) throw new Error('the content is inside: not detached');
    if (sd.signerInfos.length !== 1) throw new Error(`${sd.signerInfos.length} signers, not 1`);
    signerInfo = sd.signerInfos[0]!;
  } catch (e) {
    throw new SignedFileError('BAD_CMS', `not a detached CMS signature: ${(e as Error).message}`);
  }
  const bad = (why: string) => new SignedFileError('CMS_BAD_SIGNATURE', why);
  const sid = signerInfo.sid;
  const cert = pkijs.Certificate.fromBER(trusted);
  if (
    !(sid instanceof pkijs.IssuerAndSerialNumber) ||
    !sid.issuer.isEqual(cert.issuer) ||
    !sid.serialNumber.isEqual(cert.serialNumber)
  ) {
    throw bad('signed by another certificate than the trusted one');
  }
  if (signerInfo.digestAlgorithm.algorithmId !== OID.sha256) {
    throw bad(`digest ${signerInfo.digestAlgorithm.algorithmId}, not SHA-256`);
  }
  const attrs = signerInfo.signedAttrs;
  if (!attrs) throw bad('no signed attributes');
  const value = (type: string) => {
    const found = attrs.attributes.filter((a) => a.type === type);
    if (found.length !== 1 || found[0]!.values.length !== 1) {
      throw bad(`attribute ${type} missing or repeated`);
    }
    return found[0]!.values[0] as asn1js.AsnType;
  };
  const contentType = value(OID.contentType);
  if (
    !(contentType instanceof asn1js.ObjectIdentifier) ||
    contentType.valueBlock.toString() !== OID.data
  ) {
    throw bad('content type is not data');
  }
  const digest = value(OID.messageDigest);
  const expected = createHash('sha256').update(content).digest();
  if (
    !(digest instanceof asn1js.OctetString) ||
    Buffer.compare(Buffer.from(digest.valueBlock.valueHexView), expected) !== 0
  ) {
    throw bad('the file is not the one that was signed (its SHA-256 differs)');
  }
  const time = value(OID.signingTime);
  if (!(time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime)) {
    throw bad('signing time missing');
  }
  // What was signed: the attributes as a DER SET, re-encoded from what was carried.
  const carried = new Uint8Array(attrs.toSchema().toBER(false));
  carried[0] = 0x31;
  const algorithmId = signerInfo.signatureAlgorithm.algorithmId;
  if (algorithmId !== OID.sha256WithRsa && algorithmId !== '1.2.840.113549.1.1.1') {
    throw bad(`signature algorithm ${algorithmId} is not RSA with SHA-256`);
  }
  const publicKey = createPublicKey({
    key: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
    format: 'der',
    type: 'spki',
  });
  const ok = verifySignature(
    'sha256',
    carried,
    publicKey,
    Buffer.from(signerInfo.signature.valueBlock.valueHexView),
  );
  if (!ok) throw bad('the signature does not verify with the trusted certificate');
  return { signedAt: time.toDate() };
}

/**
 * The signer under `id` in `store`, with its certificate in `certificateFile`: made
 * on first use (an RSA-2048 key in the store, a self-signed certificate for `years`),
 * read afterwards. A certificate of another key is refused (PKI_KEY_MISMATCH).
 */
export async function openFileSigner(o: {
  readonly store: KeyStore;
  readonly id: KeyId;
  readonly subject: string;
  /** Where the certificate is kept; undefined: in memory only (tests). */
  readonly certificateFile: string | undefined;
  readonly years?: number;
  readonly now?: Date;
}): Promise<FileSigner> {
  let key: IssuerKey;
  try {
    key = await o.store.get(o.id);
  } catch (e) {
    if (!(e instanceof PkiError) || e.code !== 'PKI_KEY_MISSING') throw e;
    key = await o.store.generate(o.id);
  }
  if (o.certificateFile) {
    try {
      const certificate = new Uint8Array(await readFile(o.certificateFile));
      const spki = new Uint8Array(new x509.X509Certificate(certificate).publicKey.rawData);
      if (Buffer.compare(Buffer.from(spki), Buffer.from(key.spki)) !== 0) {
        throw new PkiError(
          'PKI_KEY_MISMATCH',
          `${o.certificateFile} is not the certificate of key ${o.id}`,
        );
      }
      return { key, certificate };
    } catch (e) {
      if (!(e instanceof Error && 'code' in e && e.code === 'ENOENT')) throw e;
    }
  }
  const now = o.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (o.years ?? 10));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: o.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    keys: { publicKey: key.publicKey, privateKey: signingKeyOf(key) },
    signingAlgorithm: RSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const certificate = new Uint8Array(cert.rawData);
  if (o.certificateFile) {
    await mkdir(dirname(o.certificateFile), { recursive: true });
    await writeFile(o.certificateFile, certificate, { flag: 'wx' });
  }
  return { key, certificate };
}
