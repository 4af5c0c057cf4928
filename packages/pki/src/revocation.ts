/**
 * Revocation reasons of the test issuer and the rules that go with them (pure).
 * JPKI revokes on loss, on a change of the holder's 記載事項 (4 info), on death,
 * on key compromise, at the holder's request and when a new card replaces the old
 * one (更新・再交付); RFC 5280 names the CRL reasons.
 */
import { x509 } from './x509.ts';
import type { CertKind } from './kinds.ts';

export type RevocationReason =
  | 'lost' // 紛失
  | 'info-change' // 記載事項変更 (4 info changed): 署名用 only
  | 'death' // 死亡
  | 'key-compromise' // 鍵の危殆化
  | 'holder-request' // 本人の申請
  | 'replaced'; // 更新・再交付: a new card took this one's place (the old card is returned)

export const REVOCATION_REASONS: readonly RevocationReason[] = [
  'lost',
  'info-change',
  'death',
  'key-compromise',
  'holder-request',
  'replaced', // last: the serial table stores a reason by its index here
];

/** RFC 5280 CRLReason for each; `unspecified` entries carry no reasonCode extension. */
export const CRL_REASON: Readonly<Record<RevocationReason, x509.X509CrlReason>> = {
  lost: x509.X509CrlReason.keyCompromise,
  'info-change': x509.X509CrlReason.affiliationChanged,
  death: x509.X509CrlReason.cessationOfOperation,
  'key-compromise': x509.X509CrlReason.keyCompromise,
  'holder-request': x509.X509CrlReason.unspecified,
  replaced: x509.X509CrlReason.superseded,
};

export interface Revocation {
  readonly serial: string; // lower-case hex, no leading zeros beyond the DER form
  readonly kind: CertKind;
  readonly reason: RevocationReason;
  readonly revokedAt: string; // ISO time
}

export type RevocationRefusal =
  | { code: 'PKI_BAD_REASON'; message: string }
  | { code: 'PKI_REASON_NOT_FOR_KIND'; message: string }
  | { code: 'PKI_ALREADY_REVOKED'; message: string };

/** Why a revocation must be refused, or undefined when it may go ahead. */
export function checkRevocation(
  kind: CertKind,
  reason: string,
  already: Revocation | undefined,
): RevocationRefusal | undefined {
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) {
    return {
      code: 'PKI_BAD_REASON',
      message: `unknown reason ${JSON.stringify(reason)}; one of ${REVOCATION_REASONS.join(', ')}`,
    };
  }
  // The auth certificate carries no 4 info, so a change of them leaves it valid.
  if (reason === 'info-change' && kind === 'auth') {
    return {
      code: 'PKI_REASON_NOT_FOR_KIND',
      message: 'a change of the 4 info revokes the sign certificate only, not the auth certificate',
    };
  }
  if (already) {
    return {
      code: 'PKI_ALREADY_REVOKED',
      message: `serial ${already.serial} was already revoked at ${already.revokedAt} (${already.reason})`,
    };
  }
  return undefined;
}

/** Canonical serial: lower-case hex without separators or leading zero octets. */
export function normalizeSerial(hex: string): string | undefined {
  const clean = hex.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean) || clean.length > 40) return undefined;
  const trimmed = clean.replace(/^(00)+/, '');
  if (trimmed === '') return undefined;
  return trimmed.length % 2 === 1 ? '0' + trimmed : trimmed;
}
