/**
 * The saga's first step on its own, for the store tests: a one-card-AP plan
 * (`planLoad`, which decides authorisation, hours and the card AP) and the
 * reservation it allows, with a consent recorded before. A card AP the plan
 * refuses throws that refusal, as the load would report it.
 */
import type { AreaName } from '@myna-ap/apdu';
import type { CardApId, CardId, ConsentId, TerminalId } from '../src/domain/ids.ts';
import type { RandomSource } from '../src/domain/rules/userId.ts';
import type { Ctx, Session } from '../src/store/context.ts';
import { reserveLoad, type InstanceView } from '../src/store/instances.ts';
import { isReservable, planLoad } from '../src/store/loadPlan.ts';

export interface Reserve {
  readonly cardId: CardId;
  readonly cardApId: CardApId;
  readonly area: AreaName;
  readonly terminalId: TerminalId;
  readonly consentId: ConsentId;
  readonly holderMunicipality: string | null;
  readonly overrideHours?: boolean;
  readonly random?: RandomSource;
}

export async function reserve(ctx: Ctx, s: Session, r: Reserve): Promise<InstanceView> {
  const plan = await planLoad(ctx, s, {
    terminalId: r.terminalId,
    items: [{ cardApId: r.cardApId, area: r.area }],
    consent: { method: 'counter_form' },
    holderMunicipality: r.holderMunicipality,
    overrideHours: r.overrideHours,
  });
  const item = plan.items[0]!;
  if (!isReservable(item)) throw item.refusal;
  return reserveLoad(
    ctx,
    plan,
    item,
    { cardId: r.cardId, municipality: null },
    { consentId: r.consentId, ...(r.random ? { random: r.random } : {}) },
  );
}
