/**
 * What the platform trusts: the JPKI root and the issuing CAs under it, each
 * with the use of the certificates it issues (利用者証明用 or 署名用; a
 * smartphone CA is one more entry) and where its CRL is published.
 */
import { X509Certificate } from 'node:crypto';
import type { TrustAnchors } from '@myna-ap/pki';

/** 利用者証明用 (user authentication) or 署名用 (signature). */
export type CertificateUse = 'auth' | 'sign';

export interface TrustedCa {
  readonly certificate: Uint8Array;
  readonly use: CertificateUse;
  /** A short name for answers and logs: `auth`, `sign`, `smartphone-auth`… */
  readonly label: string;
  /** Where the full CRL is fetched from (default: none; install CRLs yourself). */
  readonly crlUrl?: string;
}

export interface TrustConfig {
  readonly root: Uint8Array;
  readonly cas: readonly TrustedCa[];
}

export interface Trust {
  readonly anchors: TrustAnchors;
  readonly cas: readonly (TrustedCa & { readonly subject: string })[];
}

export function makeTrust(config: TrustConfig): Trust {
  return {
    anchors: { root: config.root, cas: config.cas.map((c) => c.certificate) },
    cas: config.cas.map((c) => ({ ...c, subject: new X509Certificate(c.certificate).subject })),
  };
}

/** The trusted CA whose name the certificate's issuer carries (the key is checked by pki). */
export function caOf(trust: Trust, leaf: X509Certificate): Trust['cas'][number] | undefined {
  return trust.cas.find((c) => c.subject === leaf.issuer);
}
