/**
 * Certificate validation for business systems and the identity platform: the
 * chain to our trust anchors, then revocation either by OCSP (one question per
 * certificate) or by a local CRL index (the 地方認証PF CRL 方式, bulk).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { X509Certificate, createVerify, randomBytes } from 'node:crypto';
import { OID_OCSP_BASIC, OID_OCSP_NONCE } from './ocsp.ts';
import type { CrlIndex } from './crlIndex.ts';
import { certificateParts, derChildren } from './der.ts';

export type Validation =
  | { readonly status: 'valid'; readonly checkedBy: 'ocsp' | 'crl' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: number }
  | { readonly status: 'expired'; readonly notAfter: Date }
  | { readonly status: 'not-yet-valid'; readonly notBefore: Date }
  | { readonly status: 'unknown-issuer' }
  | { readonly status: 'bad-signature' }
  | { readonly status: 'unknown' } // the OCSP responder does not know the certificate
  | { readonly status: 'unavailable'; readonly message: string }; // no trustworthy revocation answer

/** The CA certificates we trust: the root and the issuing CAs under it (DER). */
export interface TrustAnchors {
  readonly root: Uint8Array;
  readonly cas: readonly Uint8Array[];
}

interface ChainOk {
  readonly leaf: X509Certificate;
  /** The leaf's issuer Name, DER. */
  readonly leafIssuer: Uint8Array;
  readonly issuer: X509Certificate;
  readonly issuerDer: Uint8Array;
}

/** The trust anchors parsed and checked once (CA flag, signed by the root), kept per TrustAnchors object. */
interface PreparedCa {
  readonly der: Uint8Array;
  readonly cert: X509Certificate;
  readonly ski: string | undefined;
  readonly trusted: boolean;
}
const prepared = new WeakMap<TrustAnchors, PreparedCa[]>();

function prepare(trust: TrustAnchors): PreparedCa[] {
  let cas = prepared.get(trust);
  if (!cas) {
    const root = new X509Certificate(trust.root);
    cas = trust.cas.map((der) => {
      const cert = new X509Certificate(der);
      return {
        der,
        cert,
        ski: keyIdOf(der, 'ski'),
        trusted: cert.ca && cert.verify(root.publicKey),
      };
    });
    prepared.set(trust, cas);
  }
  return cas;
}

/** Chain and validity period; revocation is checked by the callers below. */
export function checkChain(
  certDer: Uint8Array,
  trust: TrustAnchors,
  now: Date = new Date(),
): ChainOk | Validation {
  let leaf: X509Certificate;
  let leafIssuer: Uint8Array;
  try {
    // node's parser, and ours (strict DER: no trailing bytes, every length in bounds)
    leaf = new X509Certificate(certDer);
    leafIssuer = certificateParts(certDer).issuer;
  } catch {
    return { status: 'bad-signature' };
  }
  // Match the issuer by key identifier (AKI = the CA's SKI), not by name alone: a
  // CA of another hierarchy may carry the very same name.
  const aki = keyIdOf(certDer, 'aki');
  const ca = prepare(trust).find(
    (c) => c.cert.subject === leaf.issuer && (aki === undefined || c.ski === aki),
  );
  if (!ca || !ca.trusted) return { status: 'unknown-issuer' };
  if (!leaf.verify(ca.cert.publicKey)) return { status: 'bad-signature' };
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore) return { status: 'not-yet-valid', notBefore };
  if (now > notAfter) return { status: 'expired', notAfter };
  return { leaf, leafIssuer, issuer: ca.cert, issuerDer: ca.der };
}

const OID_SKI = '551d0e';
const OID_AKI = '551d23';

/** The subject or authority key identifier (hex), read from the certificate's extensions. */
function keyIdOf(der: Uint8Array, which: 'aki' | 'ski'): string | undefined {
  try {
    const [cert] = derChildren(der);
    const [tbs] = derChildren(cert!.value);
    const exts = derChildren(tbs!.value).find((n) => n.tag === 0xa3);
    if (!exts) return undefined;
    const [list] = derChildren(exts.value);
    for (const ext of derChildren(list!.value)) {
      const parts = derChildren(ext.value);
      if (Buffer.from(parts[0]!.value).toString('hex') !== (which === 'ski' ? OID_SKI : OID_AKI)) {
        continue;
      }
      const [inner] = derChildren(parts[parts.length - 1]!.value);
      if (which === 'ski') {
        return inner!.tag === 0x04 ? Buffer.from(inner!.value).toString('hex') : undefined;
      }
      const keyId = derChildren(inner!.value).find((n) => n.tag === 0x80);
      return keyId ? Buffer.from(keyId.value).toString('hex') : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Chain + a CRL index of the certificate's CA (kept fresh by the caller). */
export function validateWithCrl(
  certDer: Uint8Array,
  trust: TrustAnchors,
  index: CrlIndex,
  now: Date = new Date(),
): Validation {
  const chain = checkChain(certDer, trust, now);
  if ('status' in chain) return chain;
  // The index must be of this certificate's CA, and still current.
  if (Buffer.compare(Buffer.from(index.issuer), Buffer.from(chain.leafIssuer)) !== 0) {
    return { status: 'unavailable', message: 'the CRL index is of another CA' };
  }
  const caSki = prepare(trust).find((c) => c.der === chain.issuerDer)?.ski;
  if (index.authorityKeyId && caSki && index.authorityKeyId !== caSki) {
    return { status: 'unavailable', message: 'the CRL index is of another key of that CA name' };
  }
  if (index.nextUpdate && now > index.nextUpdate) {
    return {
      status: 'unavailable',
      message: `the CRL expired at ${index.nextUpdate.toISOString()}: fetch a fresh one`,
    };
  }
  const hit = index.lookup(chain.leaf.serialNumber);
  if (hit) return { status: 'revoked', revokedAt: hit.revokedAt, reason: hit.reason };
  return { status: 'valid', checkedBy: 'crl' };
}

export interface OcspOptions {
  /** Responder URL; default the certificate's AIA OCSP URL. */
  readonly url?: string;
  /** For tests and proxies; default global fetch. */
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** Chain + an OCSP question with a fresh nonce; the answer's signature, responder and nonce are checked. */
export async function validateWithOcsp(
  certDer: Uint8Array,
  trust: TrustAnchors,
  opts: OcspOptions = {},
  now: Date = new Date(),
): Promise<Validation> {
  const chain = checkChain(certDer, trust, now);
  if ('status' in chain) return chain;
  const url = opts.url ?? /OCSP - URI:(\S+)/.exec(chain.leaf.infoAccess ?? '')?.[1];
  if (!url) return { status: 'unavailable', message: 'no OCSP URL' };

  const leaf = pkijs.Certificate.fromBER(certDer);
  const issuer = pkijs.Certificate.fromBER(chain.issuerDer);
  const nonce = new Uint8Array(randomBytes(16));
  const req = new pkijs.OCSPRequest();
  await req.createForCertificate(leaf, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer });
  req.tbsRequest.requestExtensions = [
    new pkijs.Extension({
      extnID: OID_OCSP_NONCE,
      extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false),
    }),
  ];
  let body: Uint8Array;
  try {
    const res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array(req.toSchema(true).toBER(false)),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    if (!res.ok)
      return { status: 'unavailable', message: `OCSP responder answered HTTP ${res.status}` };
    const read = await readCapped(res, MAX_OCSP_RESPONSE);
    if (!read) {
      return {
        status: 'unavailable',
        message: `OCSP response larger than ${MAX_OCSP_RESPONSE} bytes`,
      };
    }
    body = read;
  } catch (e) {
    return {
      status: 'unavailable',
      message: `OCSP responder unreachable: ${(e as Error).message}`,
    };
  }
  return readOcspAnswer(body, chain, nonce, now);
}

/** Largest OCSP response read: a real one is a few KiB; a hostile one may be endless. */
export const MAX_OCSP_RESPONSE = 256 * 1024;

/** The body, or undefined once it passes `max` bytes (the rest is not read). */
async function readCapped(res: Response, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Checks an OCSP response fetched by the caller for `certDer` (asked with
 * `nonce`): the chain, the responder's authority and signature, the nonce, the
 * status. The same rules as validateWithOcsp; nothing else yields `valid`.
 */
export function checkOcspResponse(
  body: Uint8Array,
  certDer: Uint8Array,
  trust: TrustAnchors,
  nonce: Uint8Array,
  now: Date = new Date(),
): Validation {
  if (body.length > MAX_OCSP_RESPONSE) {
    return {
      status: 'unavailable',
      message: `OCSP response larger than ${MAX_OCSP_RESPONSE} bytes`,
    };
  }
  const chain = checkChain(certDer, trust, now);
  if ('status' in chain) return chain;
  return readOcspAnswer(body, chain, nonce, now);
}

function readOcspAnswer(
  body: Uint8Array,
  chain: ChainOk,
  nonce: Uint8Array,
  now: Date,
): Validation {
  try {
    const asn = asn1js.fromBER(body);
    if (asn.offset === -1 || asn.offset !== body.length) {
      return { status: 'unavailable', message: 'not a single DER OCSP response' };
    }
    const resp = new pkijs.OCSPResponse({ schema: asn.result });
    const code = resp.responseStatus.valueBlock.valueDec;
    if (code !== 0 || !resp.responseBytes)
      return { status: 'unavailable', message: `OCSP status ${code}` };
    if (resp.responseBytes.responseType !== OID_OCSP_BASIC) {
      return { status: 'unavailable', message: 'not a basic OCSP response' };
    }
    const basic = pkijs.BasicOCSPResponse.fromBER(
      resp.responseBytes.response.valueBlock.valueHexView,
    );
    // The signer: a delegated responder certificate issued by the same CA, for OCSP signing.
    const signerDer = basic.certs?.[0]?.toSchema().toBER(false);
    if (!signerDer)
      return { status: 'unavailable', message: 'OCSP response carries no responder certificate' };
    const signer = new X509Certificate(new Uint8Array(signerDer));
    if (
      !signer.verify(chain.issuer.publicKey) ||
      !(signer.keyUsage ?? []).includes('1.3.6.1.5.5.7.3.9')
    ) {
      return { status: 'unavailable', message: 'OCSP responder is not authorised by the CA' };
    }
    const ok = createVerify('sha256')
      .update(basic.tbsResponseData.tbsView)
      .verify(signer.publicKey, basic.signature.valueBlock.valueHexView);
    if (!ok) return { status: 'unavailable', message: 'OCSP response signature does not verify' };
    const echoed = basic.tbsResponseData.responseExtensions?.find(
      (e) => e.extnID === OID_OCSP_NONCE,
    );
    const echoedValue = echoed
      ? asn1js.fromBER(echoed.extnValue.valueBlock.valueHexView).result
      : undefined;
    const echoedBytes =
      echoedValue instanceof asn1js.OctetString
        ? echoedValue.valueBlock.valueHexView
        : echoed?.extnValue.valueBlock.valueHexView;
    if (!echoedBytes || Buffer.compare(Buffer.from(echoedBytes), Buffer.from(nonce)) !== 0) {
      return {
        status: 'unavailable',
        message: 'OCSP nonce missing or different (replayed answer?)',
      };
    }
    const serial = chain.leaf.serialNumber.toLowerCase().replace(/^(00)+/, '');
    const single = basic.tbsResponseData.responses.find(
      (r) =>
        Buffer.from(r.certID.serialNumber.valueBlock.valueHexView)
          .toString('hex')
          .replace(/^(00)+/, '') === serial,
    );
    if (!single)
      return { status: 'unavailable', message: 'OCSP answer is about another certificate' };
    if (single.nextUpdate && single.nextUpdate < now)
      return { status: 'unavailable', message: 'stale OCSP answer' };
    const st = single.certStatus as asn1js.Constructed;
    switch (st.idBlock.tagNumber) {
      case 0:
        return { status: 'valid', checkedBy: 'ocsp' };
      case 1: {
        const [time, reasonBox] = st.valueBlock.value as [
          asn1js.GeneralizedTime,
          asn1js.Constructed | undefined,
        ];
        const reasonEnum = reasonBox?.valueBlock.value[0] as asn1js.Enumerated | undefined;
        return {
          status: 'revoked',
          revokedAt: time.toDate(),
          reason: reasonEnum?.valueBlock.valueDec ?? -1,
        };
      }
      default:
        return { status: 'unknown' };
    }
  } catch (e) {
    return { status: 'unavailable', message: `malformed OCSP response: ${(e as Error).message}` };
  }
}
