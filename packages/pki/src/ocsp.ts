/**
 * OCSP responder (RFC 6960) for the two issuing CAs. Each answer is signed by
 * that CA's delegated responder certificate (EKU OCSPSigning). Pure: DER request
 * in, DER response out; the HTTP side is in server.ts.
 *
 * Requests are read and responses written directly in DER: the object model of
 * an X.509 library costs milliseconds per request (parsing the responder
 * certificate alone took ~3 ms with pkijs), and at national scale the responder
 * should cost little more than its one RSA signature.
 */
import { createHash } from 'node:crypto';
import type { Text } from '@myna-ap/text';
import { certificateParts, der, generalizedTime, oidContent, readTlv, type Tlv } from './der.ts';
import { PKI_DATA_ERRORS, detailText, type PkiDataErrorCode } from './errors.ts';
import type { CertKind } from './kinds.ts';
import type { IssuerKey } from './keyStore.ts';
import type { Revocation } from './revocation.ts';
import { CRL_REASON } from './revocation.ts';

export const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
export const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
export const OCSP_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

/** At most this many CertIDs in one request (one signature answers them all). */
export const MAX_OCSP_CERT_IDS = 16;
/** Largest nonce extension value we echo (RFC 8954: a nonce of 1–32 octets, plus its header). */
const MAX_NONCE_VALUE = 40;

const HASHES: Record<string, string> = {
  '2b0e03021a': 'sha1', // 1.3.14.3.2.26
  '608648016503040201': 'sha256',
  '608648016503040202': 'sha384',
  '608648016503040203': 'sha512',
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

/** A request that is not a DER OCSPRequest we answer (answered `malformedRequest`). */
export class OcspRequestError extends Error {
  override readonly name = 'OcspRequestError';
  readonly code = 'BAD_OCSP_REQUEST' satisfies PkiDataErrorCode;
  get text(): Text {
    return detailText(PKI_DATA_ERRORS[this.code], this.message);
  }
}

const bad = (m: string) => new OcspRequestError(m);

/** One CertID of a request, with its raw DER (echoed in the answer). */
export interface OcspCertId {
  /** The hash algorithm's OID content octets, hex. */
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** The serial number's INTEGER content octets. */
  readonly serialNumber: Uint8Array;
  readonly der: Uint8Array;
}

export interface OcspRequestInfo {
  readonly certIds: readonly OcspCertId[];
  /** The whole nonce Extension (DER), echoed as it came. */
  readonly nonceExtension?: Uint8Array;
  /** The nonce extension's extnValue content. */
  readonly nonce?: Uint8Array;
}

const NONCE_OID_HEX = Buffer.from(oidContent(OID_OCSP_NONCE)).toString('hex');

function expect(b: Uint8Array, at: number, limit: number, tag: number, what: string): Tlv {
  const t = readTlv(b, at, limit, bad);
  if (t.tag !== tag)
    throw bad(`${what}: expected tag ${tag.toString(16)}, got ${t.tag.toString(16)}`);
  return t;
}

/**
 * Reads a DER OCSPRequest (RFC 6960 §4.1.1) without building objects. Throws
 * OcspRequestError for anything else: truncated or trailing bytes, wrong tags,
 * lengths past their container, no CertID or too many, an oversized nonce.
 * Its work is bounded by the input's length (the grammar has fixed depth).
 */
export function parseOcspRequest(b: Uint8Array): OcspRequestInfo {
  const outer = expect(b, 0, b.length, 0x30, 'OCSPRequest');
  if (outer.end !== b.length) throw bad('bytes after the OCSPRequest');
  const tbs = expect(b, outer.start, outer.end, 0x30, 'TBSRequest');
  if (tbs.end < outer.end) expect(b, tbs.end, outer.end, 0xa0, 'optionalSignature'); // not checked
  let p = tbs.start;
  let t = readTlv(b, p, tbs.end, bad);
  if (t.tag === 0xa0) {
    const v = expect(b, t.start, t.end, 0x02, 'version');
    if (v.end - v.start !== 1 || b[v.start] !== 0) throw bad('unsupported OCSP request version');
    p = t.end;
    t = readTlv(b, p, tbs.end, bad);
  }
  if (t.tag === 0xa1) {
    p = t.end; // requestorName: not used
    t = readTlv(b, p, tbs.end, bad);
  }
  if (t.tag !== 0x30) throw bad('requestList is not a SEQUENCE');
  const certIds: OcspCertId[] = [];
  for (let q = t.start; q < t.end;) {
    const req = expect(b, q, t.end, 0x30, 'Request');
    if (certIds.length === MAX_OCSP_CERT_IDS) throw bad(`more than ${MAX_OCSP_CERT_IDS} CertIDs`);
    const id = expect(b, req.start, req.end, 0x30, 'CertID');
    if (id.end < req.end) expect(b, id.end, req.end, 0xa0, 'singleRequestExtensions');
    const alg = expect(b, id.start, id.end, 0x30, 'hashAlgorithm');
    const oid = expect(b, alg.start, alg.end, 0x06, 'hashAlgorithm OID');
    if (oid.end < alg.end) {
      const params = readTlv(b, oid.end, alg.end, bad);
      if (params.end !== alg.end) throw bad('hashAlgorithm has trailing bytes');
    }
    const nameHash = expect(b, alg.end, id.end, 0x04, 'issuerNameHash');
    const keyHash = expect(b, nameHash.end, id.end, 0x04, 'issuerKeyHash');
    const serial = expect(b, keyHash.end, id.end, 0x02, 'serialNumber');
    if (serial.end !== id.end) throw bad('CertID has trailing bytes');
    if (serial.end === serial.start || serial.end - serial.start > 32) {
      throw bad('serialNumber must be 1 to 32 octets');
    }
    certIds.push({
      hashAlgorithm: Buffer.from(b.subarray(oid.start, oid.end)).toString('hex'),
      issuerNameHash: b.subarray(nameHash.start, nameHash.end),
      issuerKeyHash: b.subarray(keyHash.start, keyHash.end),
      serialNumber: b.subarray(serial.start, serial.end),
      der: b.subarray(id.headerStart, id.end),
    });
    q = req.end;
  }
  if (certIds.length === 0) throw bad('no CertID in the request');
  p = t.end;
  let nonceExtension: Uint8Array | undefined;
  let nonce: Uint8Array | undefined;
  if (p < tbs.end) {
    const box = expect(b, p, tbs.end, 0xa2, 'requestExtensions');
    if (box.end !== tbs.end) throw bad('bytes after requestExtensions');
    const list = expect(b, box.start, box.end, 0x30, 'Extensions');
    if (list.end !== box.end) throw bad('bytes after Extensions');
    for (let q = list.start; q < list.end;) {
      const ext = expect(b, q, list.end, 0x30, 'Extension');
      const id = expect(b, ext.start, ext.end, 0x06, 'extnID');
      let v = readTlv(b, id.end, ext.end, bad);
      if (v.tag === 0x01) v = readTlv(b, v.end, ext.end, bad); // critical
      if (v.tag !== 0x04 || v.end !== ext.end) throw bad('bad extnValue');
      if (Buffer.from(b.subarray(id.start, id.end)).toString('hex') === NONCE_OID_HEX) {
        if (nonce) throw bad('two nonce extensions');
        if (v.end === v.start || v.end - v.start > MAX_NONCE_VALUE) {
          throw bad(`nonce must be 1 to ${MAX_NONCE_VALUE} octets`);
        }
        nonceExtension = b.subarray(ext.headerStart, ext.end);
        nonce = b.subarray(v.start, v.end);
      }
      q = ext.end;
    }
  } else if (p !== tbs.end) {
    throw bad('bytes after requestList');
  }
  return { certIds, ...(nonceExtension ? { nonceExtension, nonce: nonce! } : {}) };
}

/** An OCSPResponse that carries only a status (no responseBytes). */
export function ocspStatusOnly(status: number): Uint8Array {
  return Uint8Array.of(0x30, 0x03, 0x0a, 0x01, status);
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

const SHA256_RSA = der(
  0x30,
  der(0x06, oidContent('1.2.840.113549.1.1.11')),
  Uint8Array.of(0x05, 0x00),
);
const BASIC_OID = der(0x06, oidContent(OID_OCSP_BASIC));
const GOOD = Uint8Array.of(0x80, 0x00); // good [0] IMPLICIT NULL
const UNKNOWN = Uint8Array.of(0x82, 0x00); // unknown [2] IMPLICIT UnknownInfo (NULL)

interface PreparedCa {
  readonly ca: OcspCa;
  readonly nameDer: Uint8Array;
  readonly keyBits: Uint8Array;
  /** hash OID hex → [name hash hex, key hash hex], computed on first use. */
  readonly hashes: Map<string, readonly [string, string]>;
  /** responderID byKey [2] EXPLICIT KeyHash (SHA-1 of the responder's public key bits). */
  readonly responderId: Uint8Array;
  /** certs [0] EXPLICIT SEQUENCE OF Certificate: the responder certificate. */
  readonly certs: Uint8Array;
}

/** One signed answer and, when it carries no nonce, how long it may be cached. */
export interface OcspAnswer {
  readonly der: Uint8Array;
  /** Set for answers without a nonce (RFC 5019): the answer's producedAt and nextUpdate. */
  readonly cacheable?: { readonly producedAt: Date; readonly nextUpdate: Date };
}

export interface OcspResponderOptions {
  /** How long a good/revoked/unknown answer is valid (nextUpdate − thisUpdate); default 1 hour. */
  readonly validityMs?: number;
  /** Pre-signed answers kept (RFC 5019 requests: one CertID, no nonce); 0 turns the cache off. */
  readonly cacheEntries?: number;
  /**
   * Told of every answer this responder signs for its cache, so that the other
   * processes of a cluster can serve it too (`adopt`) instead of signing their own.
   */
  readonly onSigned?: (answer: SharedAnswer) => void;
}

/** A pre-signed answer for one CertID, as handed between the responders of a cluster. */
export interface SharedAnswer {
  /** The CertID's DER, as in the request. */
  readonly certId: Uint8Array;
  /** The CertStatus DER it was signed with. */
  readonly status: Uint8Array;
  /** The whole OCSPResponse. */
  readonly der: Uint8Array;
  readonly producedAtMs: number;
  readonly nextUpdateMs: number;
}

/** A pre-signed answer for one CertID, and the status it was signed with. */
interface CachedAnswer {
  der: Uint8Array;
  status: string;
  producedAtMs: number;
  nextUpdateMs: number;
  resigning: boolean;
}

/**
 * Re-sign a cached answer once this share of its validity has passed (served meanwhile),
 * and never serve one this close to its nextUpdate: a client's clock may run ahead.
 */
const RESIGN_AFTER = 0.5;
const NEVER_SERVE_WITHIN_MS = 60_000;

export class OcspResponder {
  readonly #cas: PreparedCa[];
  readonly #records: OcspRecords;
  /** How long a good/revoked answer may be cached by clients. */
  readonly validityMs: number;
  /**
   * Pre-signed answers by CertID (its DER, as a latin1 string), oldest first.
   * RFC 5019's lightweight profile: a client without a nonce accepts any answer
   * still inside its validity, so one signature serves every such request for that
   * certificate until it is re-signed. Each hit re-checks the status in the records
   * (a table lookup), so a revocation another process wrote is answered at once.
   */
  readonly #cache = new Map<string, CachedAnswer>();
  readonly #cacheEntries: number;
  readonly #onSigned: ((answer: SharedAnswer) => void) | undefined;
  #signed = 0;
  #hits = 0;
  #adopted = 0;

  constructor(
    cas: readonly OcspCa[],
    records: OcspRecords,
    opts: OcspResponderOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { validityMs: opts } : opts;
    this.#cas = cas.map((ca) => {
      const { subject: name, keyBits } = certificateParts(ca.caCertificate);
      const responder = certificateParts(ca.responderCertificate);
      const keyHash = createHash('sha1').update(responder.keyBits).digest();
      return {
        ca,
        nameDer: name,
        keyBits,
        hashes: new Map(),
        responderId: der(0xa2, der(0x04, keyHash)),
        certs: der(0xa0, der(0x30, ca.responderCertificate)),
      };
    });
    this.#records = records;
    this.validityMs = o.validityMs ?? 3_600_000;
    this.#cacheEntries = o.cacheEntries ?? 100_000;
    this.#onSigned = o.onSigned;
  }

  /** Signatures made, answers served from the cache and answers adopted so far (logs, benchmarks). */
  get stats(): {
    readonly signed: number;
    readonly cacheHits: number;
    readonly cached: number;
    readonly adopted: number;
  } {
    return {
      signed: this.#signed,
      cacheHits: this.#hits,
      cached: this.#cache.size,
      adopted: this.#adopted,
    };
  }

  /**
   * Takes a pre-signed answer another responder of the cluster made (its `onSigned`)
   * into the cache, unless a fresher one is there. Each hit still checks the status
   * it was signed with against this process's records, as for its own answers, so an
   * answer adopted before a revocation reached this process is never served after.
   */
  adopt(a: SharedAnswer): void {
    if (this.#cacheEntries === 0 || !(a.producedAtMs < a.nextUpdateMs)) return;
    const key = Buffer.from(a.certId).toString('latin1');
    const have = this.#cache.get(key);
    if (have && have.nextUpdateMs >= a.nextUpdateMs) return;
    this.#adopted++;
    this.#put(key, {
      der: a.der,
      status: Buffer.from(a.status).toString('latin1'),
      producedAtMs: a.producedAtMs,
      nextUpdateMs: a.nextUpdateMs,
      resigning: false,
    });
  }

  #hashes(c: PreparedCa, oidHex: string): readonly [string, string] | undefined {
    let h = c.hashes.get(oidHex);
    if (!h) {
      const alg = HASHES[oidHex];
      if (!alg) return undefined;
      h = [
        createHash(alg).update(c.nameDer).digest('hex'),
        createHash(alg).update(c.keyBits).digest('hex'),
      ];
      c.hashes.set(oidHex, h);
    }
    return h;
  }

  /** Answers one DER OCSPRequest. Never throws on bad input: malformedRequest instead. */
  async respond(requestDer: Uint8Array, now: Date = new Date()): Promise<Uint8Array> {
    return (await this.answer(requestDer, now)).der;
  }

  /**
   * Answers one DER OCSPRequest, from the cache when it can: a request of one CertID
   * without a nonce (RFC 5019) gets the pre-signed answer for that CertID while the
   * certificate's status is the one it was signed with and its nextUpdate is not
   * near; a nonce, several CertIDs or a changed status are signed on demand.
   */
  async answer(requestDer: Uint8Array, now: Date = new Date()): Promise<OcspAnswer> {
    let req: OcspRequestInfo;
    try {
      req = parseOcspRequest(requestDer);
    } catch (e) {
      if (e instanceof OcspRequestError)
        return { der: ocspStatusOnly(OCSP_STATUS.malformedRequest) };
      throw e;
    }
    // Every CertID must name the same CA: one responder certificate signs the answer.
    let owner: PreparedCa | undefined;
    const statuses: Uint8Array[] = [];
    for (const id of req.certIds) {
      if (!HASHES[id.hashAlgorithm]) return { der: ocspStatusOnly(OCSP_STATUS.malformedRequest) };
      const nameHash = hexOf(id.issuerNameHash);
      const keyHash = hexOf(id.issuerKeyHash);
      const match = this.#cas.find((c) => {
        const h = this.#hashes(c, id.hashAlgorithm)!;
        return h[0] === nameHash && h[1] === keyHash;
      });
      if (!match || (owner && owner !== match)) {
        return { der: ocspStatusOnly(OCSP_STATUS.unauthorized) };
      }
      owner = match;
      statuses.push(this.#status(match.ca.kind, id.serialNumber));
    }
    const ca = owner!;
    const nowMs = now.getTime();
    if (req.nonceExtension || req.certIds.length !== 1 || this.#cacheEntries === 0) {
      return this.#sign(ca, req.certIds, statuses, req.nonceExtension, nowMs);
    }
    const id = req.certIds[0]!;
    const key = Buffer.from(id.der).toString('latin1');
    const status = Buffer.from(statuses[0]!).toString('latin1');
    const hit = this.#cache.get(key);
    if (
      hit &&
      hit.status === status &&
      hit.producedAtMs <= nowMs &&
      nowMs < hit.nextUpdateMs - NEVER_SERVE_WITHIN_MS
    ) {
      this.#hits++;
      if (!hit.resigning && nowMs >= hit.producedAtMs + this.validityMs * RESIGN_AFTER) {
        // Re-signed in the background: this request and those meanwhile get the old one.
        hit.resigning = true;
        this.#sign(ca, req.certIds, statuses, undefined, nowMs)
          .then((a) => this.#remember(id.der, key, statuses[0]!, status, a))
          .catch(() => (hit.resigning = false));
      }
      return this.#cachedAnswer(hit);
    }
    const a = await this.#sign(ca, req.certIds, statuses, undefined, nowMs);
    this.#remember(id.der, key, statuses[0]!, status, a);
    return a;
  }

  #cachedAnswer(c: CachedAnswer): OcspAnswer {
    return {
      der: c.der,
      cacheable: { producedAt: new Date(c.producedAtMs), nextUpdate: new Date(c.nextUpdateMs) },
    };
  }

  #remember(
    certId: Uint8Array,
    key: string,
    statusDer: Uint8Array,
    status: string,
    a: OcspAnswer,
  ): void {
    if (!a.cacheable) return;
    const producedAtMs = a.cacheable.producedAt.getTime();
    const nextUpdateMs = a.cacheable.nextUpdate.getTime();
    this.#put(key, { der: a.der, status, producedAtMs, nextUpdateMs, resigning: false });
    // copies: the request's bytes are a view of a buffer the HTTP side reuses
    this.#onSigned?.({
      certId: Uint8Array.from(certId),
      status: Uint8Array.from(statusDer),
      der: a.der,
      producedAtMs,
      nextUpdateMs,
    });
  }

  #put(key: string, c: CachedAnswer): void {
    this.#cache.delete(key); // re-inserted last: the oldest go first when full
    if (this.#cache.size >= this.#cacheEntries) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(key, c);
  }

  async #sign(
    ca: PreparedCa,
    certIds: readonly OcspCertId[],
    statuses: readonly Uint8Array[],
    nonceExtension: Uint8Array | undefined,
    nowMs: number,
  ): Promise<OcspAnswer> {
    // whole seconds: GeneralizedTime carries no fraction, and producedAt must not lie
    const producedAtMs = Math.floor(nowMs / 1000) * 1000;
    const nextUpdateMs = producedAtMs + this.validityMs;
    const thisUpdate = generalizedTime(new Date(producedAtMs));
    const nextUpdate = der(0xa0, generalizedTime(new Date(nextUpdateMs)));
    const singles = certIds.map((id, i) => der(0x30, id.der, statuses[i]!, thisUpdate, nextUpdate));
    const tbs = der(
      0x30,
      ca.responderId,
      thisUpdate, // producedAt
      der(0x30, ...singles),
      ...(nonceExtension ? [der(0xa1, der(0x30, nonceExtension))] : []),
    );
    // sha256WithRSAEncryption over the DER tbsResponseData, signed in the key store
    const signature = await ca.ca.responderKey.sign(tbs);
    this.#signed++;
    const basic = der(0x30, tbs, SHA256_RSA, der(0x03, Uint8Array.of(0), signature), ca.certs);
    const out = der(
      0x30,
      Uint8Array.of(0x0a, 0x01, OCSP_STATUS.successful),
      der(0xa0, der(0x30, BASIC_OID, der(0x04, basic))),
    );
    if (nonceExtension) return { der: out };
    return {
      der: out,
      cacheable: { producedAt: new Date(producedAtMs), nextUpdate: new Date(nextUpdateMs) },
    };
  }

  #status(kind: CertKind, serialContent: Uint8Array): Uint8Array {
    // the serial as the issuer's records spell it: hex, no leading zero octets
    let s = 0;
    while (s < serialContent.length - 1 && serialContent[s] === 0) s++;
    const serial = hexOf(serialContent.subarray(s));
    if (this.#records.issuedKind(serial) !== kind) return UNKNOWN;
    const rev = this.#records.revocation(serial);
    if (!rev) return GOOD;
    // revoked [1] IMPLICIT RevokedInfo { revocationTime, [0] EXPLICIT CRLReason }
    const reason = CRL_REASON[rev.reason];
    return der(
      0xa1,
      generalizedTime(new Date(rev.revokedAt)),
      ...(reason !== 0 ? [der(0xa0, Uint8Array.of(0x0a, 0x01, reason))] : []),
    );
  }
}
