/**
 * Recovery on contact (the saga's second chance): whenever the loading system
 * meets a card, the instances of that card whose load or delete was cut short
 * (`pending`, `deleting`) are settled by what the card actually holds — GET
 * STATUS of their area — before anything else is done with the card.
 */
import { aidLabel, fromHex, type AreaName, type Transmit } from '@myna-ap/apdu';
import type { InstanceState, Reconciliation } from '../domain/saga.ts';
import type { Ctx } from '../store/context.ts';
import {
  recoverInstance,
  settle,
  unfinishedInstances,
  type InstanceView,
} from '../store/instances.ts';
import { cardApsOf, openArea, remove } from './areaSession.ts';
import type { CardIdentity } from './cardAccess.ts';

export interface Recovered {
  readonly instanceId: string;
  readonly cardApId: string;
  readonly aid: string;
  readonly area: AreaName;
  readonly from: InstanceState;
  readonly to: InstanceState;
  readonly action: Reconciliation['action'];
}

/**
 * Settles every unfinished instance of the card, whoever's it is (the card is the
 * judge). Lists only those of the provider `viewer` (the operator's), when given:
 * which card APs a holder has is each provider's own to know.
 */
export async function recoverCard(
  ctx: Ctx,
  actor: string,
  t: Transmit,
  card: CardIdentity,
  viewer?: string | null,
): Promise<Recovered[]> {
  const open = await unfinishedInstances(ctx, card.cardId);
  if (open.length === 0) return [];
  const out: Recovered[] = [];
  for (const area of ['local', 'extended'] as const) {
    const here = open.filter((i) => i.area === area);
    if (here.length === 0) continue;
    const a = await openArea(t, ctx.keys, area, card);
    const onCard = new Map(
      (await cardApsOf(a)).map((e) => [aidLabel(e.aid), new TextDecoder().decode(e.providerId)]),
    );
    for (const i of here) {
      const provider = onCard.get(i.aid);
      const seen =
        provider === undefined ? 'absent' : provider === i.providerId ? 'present' : 'foreign';
      const r = await recoverInstance(ctx, actor, i.id, seen);
      let final: InstanceView = r.instance;
      if (r.action === 'resend_delete') {
        await remove(a, instanceAid(i));
        final = await settle(ctx, actor, i.id, 'deleted', 'recovered:deleted');
      }
      if (typeof viewer === 'string' && i.providerId !== viewer) continue;
      out.push({
        instanceId: i.id,
        cardApId: i.cardApId,
        aid: i.aid,
        area,
        from: i.state,
        to: final.state,
        action: r.action === 'resend_delete' ? 'none' : r.action,
      });
    }
  }
  return out;
}

/** For messages: the AID of an instance as bytes. */
export function instanceAid(i: Pick<InstanceView, 'aid'>): Uint8Array {
  return fromHex(i.aid);
}
