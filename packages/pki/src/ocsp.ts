/**
 * OCSP responder (RFC 6960) for the two issuing CAs. Each answer is signed by
 * that CA's delegated responder certificate (EKU OCSPSigning). Pure: DER request
 * in, DER response out; the HTTP side is in server.ts.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash, webcrypto } from 'node:crypto';
import { x509 } from './x509.ts';
import type { CertKind } from './kinds.ts';
import type { IssuerKey } from './keyStore.ts';
import type { Revocation } from './revocation.ts';
import { CRL_REASON } from './revocation.ts';

pkijs.setEngine(
  'node-webcrypto',
  new pkijs.CryptoEngine({
    name: 'node-webcrypto',
    crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'],
  }),
);

export const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
export const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_SHA256_RSA = '1.2.840.113549.1.1.11';

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
export const OCSP_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** What the responder needs to know of one CA. */
export interface OcspCa {
  readonly kind: CertKind;
  readonly caCertificate: Uint8Array; // DER
  readonly responderCertificate: Uint8Array; // DER
  /** The responder's key, in its key store (a PKCS#11 token, say). */
  readonly responderKey: IssuerKey;
}

/** What the responder asks of the issuer's records. */
export interface OcspRecords {
  issuedKind(serialHex: string): CertKind | undefined;
  revocation(serialHex: string): Revocation | undefined;
}

interface CaMatch {
  readonly ca: OcspCa;
  readonly nameDer: Uint8Array;
  readonly keyBits: Uint8Array;
}

function statusOnly(status: number): Uint8Array {
  const r = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return new Uint8Array(r.toSchema().toBER(false));
}

function hexOf(b: ArrayBuffer | Uint8Array): string {
  return Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
}

export class OcspResponder {
  readonly #cas: CaMatch[];
  readonly #records: OcspRecords;
  /** How long a good/revoked answer may be cached by clients. */
  readonly validityMs: number;

  constructor(cas: readonly OcspCa[], records: OcspRecords, validityMs = 3_600_000) {
    this.#cas = cas.map((ca) => {
      const cert = new x509.X509Certificate(ca.caCertificate);
      const parsed = pkijs.Certificate.fromBER(ca.caCertificate);
      return {
        ca,
        nameDer: new Uint8Array(cert.subjectName.toArrayBuffer()),
        keyBits: new Uint8Array(
          parsed.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
        ),
      };
    });
    this.#records = records;
    this.validityMs = validityMs;
  }

  /** Answers one DER OCSPRequest. Never throws on bad input: malformedRequest instead. */
  async respond(requestDer: Uint8Array, now: Date = new Date()): Promise<Uint8Array> {
    let req: pkijs.OCSPRequest;
    try {
      const asn = asn1js.fromBER(requestDer);
      if (asn.offset === -1 || asn.offset !== requestDer.length)
        return statusOnly(OCSP_STATUS.malformedRequest);
      req = new pkijs.OCSPRequest({ schema: asn.result });
    } catch {
      return statusOnly(OCSP_STATUS.malformedRequest);
    }
    const list = req.tbsRequest.requestList;
    if (list.length === 0 || list.length > 16) return statusOnly(OCSP_STATUS.malformedRequest);

    // Every CertID must name the same CA: one responder certificate signs the answer.
    let owner: CaMatch | undefined;
    const singles: pkijs.SingleResponse[] = [];
    for (const r of list) {
      const id = r.reqCert;
      const hash = HASHES[id.hashAlgorithm.algorithmId];
      if (!hash) return statusOnly(OCSP_STATUS.malformedRequest);
      const nameHash = hexOf(id.issuerNameHash.valueBlock.valueHexView);
      const keyHash = hexOf(id.issuerKeyHash.valueBlock.valueHexView);
      const match = this.#cas.find(
        (c) =>
          createHash(hash).update(c.nameDer).digest('hex') === nameHash &&
          createHash(hash).update(c.keyBits).digest('hex') === keyHash,
      );
      if (!match || (owner && owner !== match)) return statusOnly(OCSP_STATUS.unauthorized);
      owner = match;
      const serial = hexOf(id.serialNumber.valueBlock.valueHexView);
      singles.push(
        new pkijs.SingleResponse({
          certID: id,
          certStatus: this.#status(match.ca.kind, serial),
          thisUpdate: now,
          nextUpdate: new Date(now.getTime() + this.validityMs),
        }),
      );
    }
    const ca = owner!.ca;
    const responder = pkijs.Certificate.fromBER(ca.responderCertificate);
    const keyHash = createHash('sha1')
      .update(responder.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
      .digest();
    const nonce = req.tbsRequest.requestExtensions?.find((e) => e.extnID === OID_OCSP_NONCE);
    if (
      nonce &&
      (nonce.extnValue.valueBlock.valueHexView.length > 40 ||
        nonce.extnValue.valueBlock.valueHexView.length === 0)
    ) {
      return statusOnly(OCSP_STATUS.malformedRequest);
    }
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: new pkijs.ResponseData({
        // byKey: KeyHash (SHA-1 of the responder's public key bits); pkijs adds the [2] tag
        responderID: new asn1js.OctetString({ valueHex: keyHash }),
        producedAt: now,
        responses: singles,
        ...(nonce ? { responseExtensions: [nonce] } : {}),
      }),
      certs: [responder],
    });
    // sha256WithRSAEncryption over the DER tbsResponseData, signed in the key store
    basic.signatureAlgorithm = new pkijs.AlgorithmIdentifier({
      algorithmId: OID_SHA256_RSA,
      algorithmParams: new asn1js.Null(),
    });
    const tbs = new Uint8Array(basic.tbsResponseData.toSchema(true).toBER(false));
    basic.tbsResponseData.tbsView = tbs;
    basic.signature = new asn1js.BitString({ valueHex: await ca.responderKey.sign(tbs) });
    const res = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: OCSP_STATUS.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: OID_OCSP_BASIC,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    return new Uint8Array(res.toSchema().toBER(false));
  }

  #status(kind: CertKind, serial: string): asn1js.BaseBlock {
    const issued = this.#records.issuedKind(serial);
    if (issued !== kind) {
      // unknown [2] IMPLICIT NULL
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
    }
    const rev = this.#records.revocation(serial);
    if (!rev) return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
    // revoked [1] IMPLICIT RevokedInfo { revocationTime, [0] EXPLICIT CRLReason }
    const value: asn1js.BaseBlock[] = [
      new asn1js.GeneralizedTime({ valueDate: new Date(rev.revokedAt) }),
    ];
    const reason = CRL_REASON[rev.reason];
    if (reason !== 0) {
      value.push(
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Enumerated({ value: reason })],
        }),
      );
    }
    return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
  }
}
