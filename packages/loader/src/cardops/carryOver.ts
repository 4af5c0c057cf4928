/**
 * 再交付・更新時のカードAP引継ぎ at a municipality's counter: the holder brings
 * the new card (a renewal, or a reissue after a loss or damage) and the card
 * APs of the card it replaced are loaded onto it in one step, with the holder's
 * consent, instead of the holder going to every provider again.
 *
 *   card identity (round trip 1) → the old card, from the JPKI issuer's link
 *   (`ctx.previousCardOf`, never the counter's word) → the card APs that were on
 *   it → per card AP: carried over if its provider allows it (`carry_over`), else
 *   refused with the reason → the load saga of cardops/load.ts, each card AP
 *   under its own provider, each a new instance with a new user ID naming the
 *   old one (`carried_from`) → on `loaded`, a `card_ap_carried` notice with the
 *   old and new user IDs (store/carryOvers.ts says why new ones).
 *
 * Running it again carries over what a first run left (a refusal, a card pulled
 * out): what is carried already is reported so, never loaded twice.
 */
import type { Transmit } from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';
import type { CardId, TerminalId } from '../domain/ids.ts';
import { carryOverRefusal, checkSuccession } from '../domain/rules/carryOver.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { carryCandidates, type CarryCandidate } from '../store/carryOvers.ts';
import { checkHours } from '../store/instances.ts';
import { cardApsWithVersion, type ConsentGiven, type LoadPlan } from '../store/loadPlan.ts';
import { checkMunicipalityCounter } from '../store/pinResets.ts';
import { findProvider } from '../store/providers.ts';
import type { Provider } from '../domain/provider.ts';
import { plannedCardAp } from '../store/loadPlan.ts';
import type { CardLink } from './link.ts';
import { loadPlanned, type LoadResult } from './load.ts';
import type { Recovered } from './recover.ts';

export interface CarryOverRequest {
  readonly terminalId: TerminalId;
  /** 本人の希望: the holder asked for the carry-over (recorded per card AP, under its provider). */
  readonly consent: ConsentGiven;
  /**
   * The PINs the holder chooses now for card APs with a holder PIN (types A and
   * D), by card AP id: the old card's PIN is on the old card only. Never stored.
   */
  readonly pins?: Readonly<Record<string, Uint8Array>> | undefined;
  /** Where the holder is registered, from the resident system (wins over the card). */
  readonly holderMunicipality?: string | null | undefined;
  readonly overrideHours?: boolean | undefined;
}

/** One card AP of the old card: loaded onto the new card, or refused with why. */
export type CarriedResult = LoadResult & {
  readonly providerId: string;
  readonly fromInstanceId: string;
  readonly fromUserId: string;
};

export interface CarryOverOutcome {
  readonly cardId: string;
  /** The card it replaced (新旧紐付け). */
  readonly fromCardId: string;
  readonly recovered: readonly Recovered[];
  readonly results: readonly CarriedResult[];
}

export async function carryOver(
  ctx: Ctx,
  s: Session,
  t: Transmit | CardLink,
  req: CarryOverRequest,
): Promise<CarryOverOutcome> {
  const at = { providerId: s.providerId, terminalId: req.terminalId };
  authorize(s, 'card.carry_over', at);
  authorize(s, 'consent.record', at);
  const previousCardOf = ctx.previousCardOf;
  if (!previousCardOf) {
    throw new LoaderError('CARD_SUCCESSION_UNAVAILABLE', {
      en: 'this server does not read the JPKI issuer’s link of new cards to old ones: start it with myna serve --jpki DIR',
      ja: 'このサーバはJPKI発行者の新旧カードの紐付けを読んでいません。myna serve --jpki DIR で起動してください',
    });
  }
  await checkMunicipalityCounter(ctx.db, req.terminalId, s.providerId);
  const hours = await checkHours(ctx, s, req.overrideHours === true);
  const counter = await findProvider(ctx.db, s.providerId!);
  if (!counter) throw new Error(`provider ${s.providerId} of a session is missing`);

  let fromCardId: CardId | undefined;
  let candidates: CarryCandidate[] = [];
  const outcome = await loadPlanned(ctx, s, t, async (card): Promise<LoadPlan> => {
    fromCardId = checkSuccession(card.cardId, await previousCardOf(card.cardId));
    candidates = await carryCandidates(ctx.db, fromCardId);
    if (candidates.length === 0) {
      throw new LoaderError(
        'NOTHING_TO_CARRY_OVER',
        {
          en: `the earlier card ${fromCardId} held no card AP to carry over`,
          ja: `旧カード ${fromCardId} に引き継ぐカードAPはありません`,
        },
        409,
        { fromCardId },
      );
    }
    const rows = await cardApsWithVersion(ctx, [...new Set(candidates.map((c) => c.cardApId))]);
    const owners = new Map<string, Provider>();
    for (const id of new Set(candidates.map((c) => c.providerId))) {
      const p = await findProvider(ctx.db, id);
      if (p) owners.set(id, p);
    }
    return {
      operatorId: s.operatorId,
      provider: counter,
      terminalId: req.terminalId,
      hoursOverridden: hours.overridden,
      batchId: undefined,
      consent: {
        method: req.consent.method,
        note: req.consent.note ?? `carry-over from card ${fromCardId} (引継ぎ)`,
      },
      holderMunicipality: req.holderMunicipality ?? null,
      items: candidates.map((c) =>
        plannedCardAp(
          rows.get(c.cardApId)!,
          { cardApId: c.cardApId, area: c.area, pin: req.pins?.[c.cardApId] },
          {
            owner: owners.get(c.providerId),
            carriedFrom: c.instanceId,
            refusal: carryOverRefusal(c),
          },
        ),
      ),
    };
  });
  // A card AP is on a card at most once (the live index): its id names its row.
  const byCardAp = new Map(candidates.map((c) => [c.cardApId as string, c]));
  return {
    cardId: outcome.cardId,
    fromCardId: fromCardId!,
    recovered: outcome.recovered,
    results: outcome.results.map((r) => {
      const c = byCardAp.get(r.cardApId)!;
      return { ...r, providerId: c.providerId, fromInstanceId: c.instanceId, fromUserId: c.userId };
    }),
  };
}
