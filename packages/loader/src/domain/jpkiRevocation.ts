/**
 * What a JPKI certificate revocation (電子証明書の失効) means for the card's status
 * in the feed (pure). The issuer revokes for one of @myna-ap/pki's reasons; the
 * card moves only on those that say the card itself is gone or untrustworthy:
 *
 *   lost (紛失)                → lost       the card is missing, as a call-center report
 *   key-compromise (鍵の危殆化) → suspended  a key of the card may be known: stopped
 *                                           until its issuer decides (found, or reissued)
 *   death (死亡)               → revoked    the card lapses (失効, seeds/004)
 *   info-change (記載事項変更)  → —          the card stays; a new 署名用 certificate follows
 *   holder-request (本人の申請) → —          the holder gave up a certificate, not the card
 *   replaced (更新・再交付)     → revoked    a new card took its place: the old one is void
 *
 * The move then follows the same rules as any report (cardStatus.ts, source
 * `jpki_revocation`): never back to active, never out of revoked.
 */
import type { CardStatus } from './cardStatus.ts';

/** @myna-ap/pki's RevocationReason, by value (the loader does not import pki). */
export type JpkiRevocationReason =
  'lost' | 'key-compromise' | 'death' | 'info-change' | 'holder-request' | 'replaced';

const STATUS: Readonly<Record<JpkiRevocationReason, CardStatus | undefined>> = {
  lost: 'lost',
  'key-compromise': 'suspended',
  death: 'revoked',
  'info-change': undefined,
  'holder-request': undefined,
  replaced: 'revoked',
};

/** The card status a revocation for `reason` calls for; undefined: the card stays as it is. */
export function cardStatusForRevocation(reason: string): CardStatus | undefined {
  return Object.hasOwn(STATUS, reason) ? STATUS[reason as JpkiRevocationReason] : undefined;
}
