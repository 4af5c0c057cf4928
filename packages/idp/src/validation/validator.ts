/**
 * The validation service's core (地方認証プラットフォーム): a certificate is checked
 * by the OCSP 方式 (one question to the issuer's responder) or the CRL 方式 (the
 * local CRL index). OCSP falls back to the CRL when no trustworthy OCSP answer
 * comes ("メンテナンス等OCSPが不通の場合はCRLを利用", MKPF 類型①), and every answer
 * says which method produced it. The checks themselves are pki's.
 */
import { X509Certificate } from 'node:crypto';
import { checkChain, validateWithCrl, validateWithOcsp, type Validation } from '@myna-ap/pki';
import type { Text } from '@myna-ap/text';
import { caOf, type CertificateUse, type Trust } from './trust.ts';
import type { CrlStore } from './crlStore.ts';

export type ValidationMethod = 'ocsp' | 'crl';

export interface ValidationAnswer {
  /** The method asked for. */
  readonly requested: ValidationMethod;
  /** The method whose answer `result` is: `crl` after a fallback. */
  readonly method: ValidationMethod;
  /** Why OCSP gave no answer, when the CRL answered instead. */
  readonly fallbackReason?: string;
  /** The use of the certificate, by its issuing CA; undefined for a CA we do not trust. */
  readonly use: CertificateUse | undefined;
  readonly ca: string | undefined;
  readonly result: Validation;
  /**
   * A 署名用 certificate revoked for 記載事項変更 (CRLReason affiliationChanged):
   * the holder's 4 info may have changed (MKPF function 5).
   */
  readonly infoMayHaveChanged: boolean;
  readonly reason: Text;
}

export interface ValidatorOptions {
  readonly trust: Trust;
  readonly crls: CrlStore;
  /** OCSP responder URL for every CA (default: the certificate's AIA). */
  readonly ocspUrl?: string;
  readonly ocspTimeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

/** RFC 5280 CRLReason affiliationChanged: pki's `info-change` (記載事項変更). */
const AFFILIATION_CHANGED = 3;

export class CertificateValidator {
  readonly #o: ValidatorOptions;
  constructor(options: ValidatorOptions) {
    this.#o = options;
  }

  get trust(): Trust {
    return this.#o.trust;
  }

  /** The use and CA label of a certificate by its issuer's name, before any check. */
  classify(certDer: Uint8Array): { use: CertificateUse; ca: string } | undefined {
    const leaf = parse(certDer);
    const ca = leaf && caOf(this.#o.trust, leaf);
    return ca && { use: ca.use, ca: ca.label };
  }

  /** OCSP 方式, falling back to the CRL index when OCSP gives no trustworthy answer. */
  async ocsp(certDer: Uint8Array): Promise<ValidationAnswer> {
    const now = this.#now();
    const result = await validateWithOcsp(
      certDer,
      this.#o.trust.anchors,
      {
        ...(this.#o.ocspUrl ? { url: this.#o.ocspUrl } : {}),
        ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
        timeoutMs: this.#o.ocspTimeoutMs ?? 5000,
      },
      now,
    );
    if (result.status !== 'unavailable') return this.#answer(certDer, 'ocsp', 'ocsp', result);
    // No trustworthy OCSP answer (unreachable, or one we refused): the CRL is signed
    // by the CA itself, so answering from it is as safe, only as fresh as the CRL.
    const fromCrl = this.#crl(certDer, now);
    return this.#answer(certDer, 'ocsp', 'crl', fromCrl, result.message);
  }

  /** CRL 方式: the local index only, no network. */
  crl(certDer: Uint8Array): ValidationAnswer {
    return this.#answer(certDer, 'crl', 'crl', this.#crl(certDer, this.#now()));
  }

  #crl(certDer: Uint8Array, now: Date): Validation {
    const leaf = parse(certDer);
    if (!leaf) return { status: 'bad-signature' };
    const index = this.#o.crls.indexFor(leaf.issuer);
    if (!index) {
      // Still run the chain checks: an untrusted or expired certificate says so.
      const chain = checkChain(certDer, this.#o.trust.anchors, now);
      return 'status' in chain
        ? chain
        : { status: 'unavailable', message: 'no CRL of this CA is installed' };
    }
    return validateWithCrl(certDer, this.#o.trust.anchors, index, now);
  }

  #answer(
    certDer: Uint8Array,
    requested: ValidationMethod,
    method: ValidationMethod,
    result: Validation,
    fallbackReason?: string,
  ): ValidationAnswer {
    const c = this.classify(certDer);
    const infoMayHaveChanged =
      c?.use === 'sign' && result.status === 'revoked' && result.reason === AFFILIATION_CHANGED;
    return {
      requested,
      method,
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
      use: c?.use,
      ca: c?.ca,
      result,
      infoMayHaveChanged,
      reason: describeValidation(result),
    };
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }
}

function parse(der: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

const REVOCATION_REASON: Record<number, Text> = {
  1: { en: 'key compromise or card lost', ja: '鍵の危殆化または紛失' },
  3: { en: 'the recorded details changed', ja: '記載事項変更' },
  5: { en: 'the holder died or the card was returned', ja: '死亡または返納' },
};

/** Why a validation came out as it did, for people (ja and en). */
export function describeValidation(v: Validation): Text {
  switch (v.status) {
    case 'valid':
      return v.checkedBy === 'ocsp'
        ? { en: 'valid (checked by OCSP)', ja: '有効（OCSPで確認）' }
        : { en: 'valid (checked against the CRL)', ja: '有効（CRLで確認）' };
    case 'revoked': {
      const why = REVOCATION_REASON[v.reason] ?? { en: 'unspecified', ja: '理由の指定なし' };
      return {
        en: `revoked on ${v.revokedAt.toISOString()} (${why.en})`,
        ja: `${v.revokedAt.toISOString()} に失効（${why.ja}）`,
      };
    }
    case 'expired':
      return {
        en: `expired on ${v.notAfter.toISOString()}`,
        ja: `${v.notAfter.toISOString()} に有効期間が満了`,
      };
    case 'not-yet-valid':
      return {
        en: `not valid before ${v.notBefore.toISOString()}`,
        ja: `${v.notBefore.toISOString()} より前は有効ではありません`,
      };
    case 'unknown-issuer':
      return {
        en: 'issued by a CA this platform does not trust',
        ja: 'この基盤が信頼しない認証局が発行しています',
      };
    case 'bad-signature':
      return {
        en: 'the certificate is malformed or its signature does not verify',
        ja: '電子証明書の形式が不正か、署名を検証できません',
      };
    case 'unknown':
      return {
        en: 'the issuer does not know this certificate',
        ja: '発行者はこの電子証明書を把握していません',
      };
    case 'unavailable':
      return {
        en: `no trustworthy revocation answer: ${v.message}`,
        ja: `失効情報を確認できません: ${v.message}`,
      };
  }
}
