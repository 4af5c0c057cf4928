/**
 * カードAP削除 on the holder's request, at any counter of the provider: the card
 * half of the delete saga. `loaded → deleting` (DB) → DELETE (card) → `deleted`.
 * A cut between the two leaves `deleting`; the next contact sends the DELETE again.
 */
import type { AreaName, Transmit } from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';
import type { CardApId, TerminalId } from '../domain/ids.ts';
import { areaEligibility } from '../domain/rules/area.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { findProvider } from '../store/providers.ts';
import {
  checkHours,
  liveInstances,
  recordConsent,
  settle,
  startDelete,
  upsertCard,
} from '../store/instances.ts';
import { openArea, remove, type AreaChannel } from './areaSession.ts';
import { readIdentity, type CardIdentity } from './cardAccess.ts';
import { itemError, type ConsentGiven, type ItemError } from './load.ts';
import { instanceAid, recoverCard, type Recovered } from './recover.ts';

export interface DeleteRequest {
  readonly terminalId: TerminalId;
  readonly cardApIds: readonly CardApId[];
  /** The holder's request to delete (本人の申請), recorded. */
  readonly consent: ConsentGiven;
  readonly holderMunicipality?: string | null | undefined;
  readonly overrideHours?: boolean | undefined;
}

export interface DeleteResult {
  readonly cardApId: string;
  readonly area: AreaName | null;
  readonly aid: string | null;
  readonly status: 'deleted' | 'refused';
  readonly instanceId?: string | undefined;
  /** True when the card no longer had it (the DB followed the card). */
  readonly alreadyGone?: boolean | undefined;
  readonly error?: ItemError | undefined;
}

export interface DeleteOutcome {
  readonly cardId: string;
  readonly recovered: readonly Recovered[];
  readonly results: readonly DeleteResult[];
}

const notLoaded = (id: string) =>
  new LoaderError(
    'NOT_LOADED',
    {
      en: `card AP ${id} of your provider is not loaded on this card`,
      ja: `このカードに貴団体のカードAP ${id} は搭載されていません`,
    },
    409,
  );

export async function deleteOnCard(
  ctx: Ctx,
  s: Session,
  t: Transmit,
  req: DeleteRequest,
): Promise<DeleteOutcome> {
  authorize(s, 'card.delete', { providerId: s.providerId, terminalId: req.terminalId });
  await checkHours(ctx, s, req.overrideHours === true, {
    op: 'delete',
    terminalId: req.terminalId,
  });
  if (req.cardApIds.length === 0 || new Set(req.cardApIds).size !== req.cardApIds.length) {
    throw new LoaderError('CARDAP_REPEATED', {
      en: 'name each card AP to delete once',
      ja: '削除するカードAPを重複なく指定してください',
    });
  }
  const card: CardIdentity = await readIdentity(t, true);
  const recovered = await recoverCard(ctx, s.operatorId, t, card, s.providerId);
  const provider = await findProvider(ctx.db, s.providerId!);
  const holder = await upsertCard(ctx.db, card.cardId, {
    supplied: req.holderMunicipality ?? null,
    fromCard: card.municipalityCode,
  });
  const live = await liveInstances(ctx.db, card.cardId);
  const results: DeleteResult[] = [];
  // Grouped by area: opening one area's channel closes the other's.
  const order = (a: AreaName | undefined) => (a === 'local' ? 0 : a === 'extended' ? 1 : -1);
  const targets = req.cardApIds
    .map((id) => ({
      id,
      inst: live.find((i) => i.cardApId === id && i.providerId === s.providerId),
    }))
    .sort((a, b) => order(a.inst?.area) - order(b.inst?.area));
  let channel: AreaChannel | undefined;
  for (const { id, inst } of targets) {
    const refuse = (e: LoaderError) =>
      results.push({
        cardApId: id,
        area: inst?.area ?? null,
        aid: inst?.aid ?? null,
        status: 'refused',
        ...(inst ? { instanceId: inst.id } : {}),
        error: itemError(e),
      });
    if (!inst || inst.state !== 'loaded') {
      refuse(notLoaded(id));
      continue;
    }
    if (provider) {
      const elig = areaEligibility(provider, inst.area, holder.municipalityCode);
      if (!elig.ok) {
        refuse(elig.error);
        continue;
      }
    }
    // The channel first: a card that refuses our keys must not leave a `deleting` row.
    if (channel?.area !== inst.area) channel = await openArea(t, ctx.keys, inst.area, card);
    await recordConsent(ctx, s, req.terminalId, {
      cardId: card.cardId,
      cardApId: inst.cardApId,
      purpose: 'delete',
      method: req.consent.method,
      note: req.consent.note,
    });
    await startDelete(ctx, s.operatorId, inst.id, 'holder_request');
    const deleted = await remove(channel, instanceAid(inst));
    await settle(ctx, s.operatorId, inst.id, 'deleted', deleted ? 'deleted' : 'absent');
    results.push({
      cardApId: id,
      area: inst.area,
      aid: inst.aid,
      status: 'deleted',
      instanceId: inst.id,
      ...(deleted ? {} : { alreadyGone: true }),
    });
  }
  return { cardId: card.cardId, recovered, results };
}
