/**
 * Card status (カードの一時停止・紛失・失効) and who may change it to what
 * (seeds/002 III-1 (5)). The holder reports a loss to the My Number Card call
 * center; the platform records it and it reaches the business systems as the
 * status feed. Pure rules, no I/O.
 *
 *   active ──► lost ──► revoked (final)
 *     │  ▲      │ ▲
 *     ▼  │      ▼ │      lost → active / suspended → active: only the issuer
 *   suspended ──┘        (municipality) or a platform operator, after the card is
 *                        found or the suspension lifted — never the call center
 *                        or a JPKI revocation list, which only bring bad news.
 */
import { LoaderError } from '../errors.ts';

export type CardStatus = 'active' | 'lost' | 'suspended' | 'revoked';
export const CARD_STATUSES: readonly CardStatus[] = ['active', 'lost', 'suspended', 'revoked'];

/**
 * Where a status change comes from: call_center (コールセンターへの紛失・一時停止の届出),
 * jpki_revocation (the JPKI certificate was revoked), operator (a platform
 * operator's own decision), issuer (the municipality that issued the card:
 * found, reissued, returned).
 */
export type StatusSource = 'call_center' | 'jpki_revocation' | 'operator' | 'issuer';
export const STATUS_SOURCES: readonly StatusSource[] = [
  'call_center',
  'jpki_revocation',
  'operator',
  'issuer',
];

const JA: Readonly<Record<CardStatus, string>> = {
  active: '利用可',
  lost: '紛失',
  suspended: '一時停止',
  revoked: '失効',
};

/** The status in Japanese, for messages. */
export function statusJa(s: CardStatus): string {
  return JA[s];
}

/** Moves each source may make; anything else is refused. */
const MAY: Readonly<Record<StatusSource, ReadonlySet<CardStatus>>> = {
  call_center: new Set<CardStatus>(['lost', 'suspended']),
  jpki_revocation: new Set<CardStatus>(['lost', 'suspended', 'revoked']),
  operator: new Set<CardStatus>(['active', 'lost', 'suspended', 'revoked']),
  issuer: new Set<CardStatus>(['active', 'lost', 'suspended', 'revoked']),
};

/**
 * Throws unless `from → to` reported by `source` makes sense:
 * `CARD_STATUS_UNCHANGED` (already so: nothing to tell anyone),
 * `CARD_REVOKED` (revocation is final: the holder gets a new card, with a new serial),
 * `CARD_STATUS_SOURCE` (e.g. the call center cannot lift a loss),
 * `CARD_STATUS_BAD_TRANSITION` (a lost card is not "suspended": it stays lost).
 */
export function checkStatusChange(from: CardStatus, to: CardStatus, source: StatusSource): void {
  if (from === to) {
    throw new LoaderError(
      'CARD_STATUS_UNCHANGED',
      {
        en: `the card is already ${to}`,
        ja: `このカードは既に「${JA[to]}」です`,
      },
      409,
      { status: from },
    );
  }
  if (from === 'revoked') {
    throw new LoaderError(
      'CARD_REVOKED',
      {
        en: 'the card is revoked, which is final: the holder is issued a new card',
        ja: 'このカードは失効しています（失効は取り消せません）。新しいカードの交付をご案内ください',
      },
      409,
      { status: from },
    );
  }
  if (!MAY[source].has(to)) {
    throw new LoaderError(
      'CARD_STATUS_SOURCE',
      to === 'active'
        ? {
            en: `a ${source} report cannot make a ${from} card usable again: the issuing municipality (source issuer) or a platform operator (source operator) does, once the card is found`,
            ja: `「${source}」の届出では${JA[from]}のカードを利用可に戻せません。カード発見後、交付市区町村（issuer）または機構（operator）が行います`,
          }
        : {
            en: `a ${source} report cannot set a card ${to}`,
            ja: `「${source}」の届出ではカードを「${JA[to]}」にできません`,
          },
      409,
      { from, to, source },
    );
  }
  if (from === 'lost' && to === 'suspended') {
    throw new LoaderError(
      'CARD_STATUS_BAD_TRANSITION',
      {
        en: 'a lost card stays lost until it is found (active) or revoked',
        ja: '紛失中のカードは一時停止にできません。発見（利用可）または失効のみ可能です',
      },
      409,
      { from, to },
    );
  }
}
