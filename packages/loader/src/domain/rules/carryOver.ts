/**
 * 再交付・更新時のカードAP引継ぎ, the rules: which card came before (the JPKI
 * issuer's link, never the counter's word), and which of its card APs a
 * municipality's counter may load onto the new card.
 */
import { LoaderError } from '../../errors.ts';
import type { CardId } from '../ids.ts';

/** A card serial as the issuer's records and the 共通カードAP give it: hex bytes. */
const CARD_SERIAL = /^(?:[0-9A-F]{2}){1,32}$/;

/**
 * The old card of `newCardId`, as the issuer linked it. Throws
 * CARD_SUCCESSION_UNKNOWN when there is none, it is the card itself, or the
 * record is not a card serial (a damaged record names no card).
 */
export function checkSuccession(newCardId: string, previous: string | undefined): CardId {
  const old = previous?.toUpperCase();
  if (old === undefined || !CARD_SERIAL.test(old) || old === newCardId.toUpperCase()) {
    throw new LoaderError(
      'CARD_SUCCESSION_UNKNOWN',
      {
        en: `no earlier card is linked to card ${newCardId}: it is not a renewed or reissued card, or the JPKI issuer has not recorded the link yet`,
        ja: `カード ${newCardId} に紐付く旧カードがありません（更新・再交付のカードでないか、JPKI発行者が紐付けをまだ記録していません）`,
      },
      409,
      { cardId: newCardId },
    );
  }
  return old as CardId;
}

/** What decides whether one card AP of the old card may be carried over. */
export interface CarryCase {
  readonly name: string;
  /** The provider allows carrying it over at a counter (`card_aps.carry_over`). */
  readonly carryOver: boolean;
  /** The live instance that already carries it on, if any. */
  readonly carriedBy: string | null;
}

/**
 * Why this card AP is not carried over, or undefined when it may be (the load's
 * own rules — approved, area, capacity, PIN — still apply after this).
 */
export function carryOverRefusal(c: CarryCase): LoaderError | undefined {
  if (c.carriedBy !== null) {
    return new LoaderError(
      'ALREADY_CARRIED_OVER',
      {
        en: `${c.name} of the earlier card is already carried over (instance ${c.carriedBy})`,
        ja: `旧カードの「${c.name}」は既に引き継がれています（${c.carriedBy}）`,
      },
      409,
      { instanceId: c.carriedBy },
    );
  }
  if (!c.carryOver) {
    return new LoaderError(
      'CARRY_OVER_NOT_ALLOWED',
      {
        en: `the provider of ${c.name} does not let a counter carry it over: the holder asks that provider to load it again`,
        ja: `「${c.name}」の提供者は窓口での引継ぎを認めていません。提供者に再搭載をご依頼ください`,
      },
      403,
    );
  }
  return undefined;
}
