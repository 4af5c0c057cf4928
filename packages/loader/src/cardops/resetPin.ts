/**
 * カードAPのPIN再設定: a card AP's PIN that its holder forgot or locked (a locked
 * PIN stays locked until reset) is replaced through its own area's security
 * domain — INSTALL [for personalization] + STORE DATA, packages/card/README.md
 * §4.3 — at a counter of the card AP's provider, with the holder present
 * (their request and how it was made are in the audit row). Every try comes back. A card AP
 * whose PIN is system-fixed gets that PIN again.
 */
import { CardStatusError, SW, cardApFixedPin, resetCardApPin, type Transmit } from '@myna-ap/apdu';
import { appendAudit, writeTransaction } from '../store/audit.ts';
import { LoaderError } from '../errors.ts';
import type { CardApId, TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { checkHours, liveInstances } from '../store/instances.ts';
import { currentAccess } from '../store/cardAps.ts';
import { openArea } from './areaSession.ts';
import { cardRefused, readIdentity } from './cardAccess.ts';
import type { ConsentGiven } from './load.ts';
import { instanceAid, recoverCard, type Recovered } from './recover.ts';

export interface ResetPinRequest {
  readonly terminalId: TerminalId;
  readonly cardApId: CardApId;
  /** The holder's new PIN (ASCII); absent for a system-fixed PIN. */
  readonly pin?: Uint8Array | undefined;
  readonly consent: ConsentGiven;
  readonly overrideHours?: boolean | undefined;
}

export interface ResetPinOutcome {
  readonly cardId: string;
  readonly cardApId: string;
  readonly aid: string;
  readonly tries: number;
  readonly fixed: boolean;
  readonly recovered: readonly Recovered[];
}

export async function resetPin(
  ctx: Ctx,
  s: Session,
  t: Transmit,
  req: ResetPinRequest,
): Promise<ResetPinOutcome> {
  // The same right as deleting it: the provider's operators at its terminals.
  authorize(s, 'card.delete', { providerId: s.providerId, terminalId: req.terminalId });
  await checkHours(ctx, s, req.overrideHours === true);
  const rule = await currentAccess(ctx.db, req.cardApId);
  if (!rule || rule.providerId !== s.providerId) {
    throw new LoaderError(
      'NOT_FOUND',
      { en: `card AP ${req.cardApId} not found`, ja: `カードAP ${req.cardApId} が見つかりません` },
      404,
    );
  }
  const pinRule = rule.access?.pin;
  if (!pinRule) {
    throw new LoaderError(
      'CARDAP_HAS_NO_PIN',
      { en: 'this card AP has no PIN', ja: 'このカードAPにPINはありません' },
      409,
    );
  }
  if (!pinRule.fixed && !req.pin) {
    throw new LoaderError('CARDAP_PIN_REQUIRED', {
      en: 'give the new PIN the holder chose',
      ja: '本人が決めた新しいPINを指定してください',
    });
  }
  const card = await readIdentity(t, false);
  const recovered = await recoverCard(ctx, s.operatorId, t, card, s.providerId);
  const inst = (await liveInstances(ctx.db, card.cardId)).find(
    (i) => i.cardApId === req.cardApId && i.state === 'loaded',
  );
  if (!inst) {
    throw new LoaderError(
      'NOT_LOADED',
      {
        en: `card AP ${req.cardApId} is not loaded on this card`,
        ja: `このカードにカードAP ${req.cardApId} は搭載されていません`,
      },
      409,
    );
  }
  const aid = instanceAid(inst);
  const pin = pinRule.fixed
    ? cardApFixedPin(ctx.keys.cardApMaster(aid), card.serial, aid)
    : req.pin!;
  const channel = await openArea(t, ctx.keys, inst.area, card);
  try {
    await resetCardApPin(channel.session, aid, pin, pinRule.tries);
  } catch (e) {
    if (e instanceof CardStatusError) {
      if (e.sw === SW.REFERENCED_DATA_NOT_FOUND) {
        throw new LoaderError(
          'CARD_AP_MISSING',
          {
            en: 'the card AP recorded as loaded is not on the card: run diagnose',
            ja: '搭載済みと記録されたカードAPがカードにありません。障害切り分け（diagnose）を実行してください',
          },
          409,
        );
      }
      throw cardRefused(e.sw, { en: 'PIN reset', ja: 'PINの再設定' });
    }
    throw e;
  }
  await writeTransaction(ctx.db, (tx) =>
    appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'cardap.pin_reset',
        target: inst.id,
        // The holder's request (本人の申請) is recorded here, with how it was made.
        detail: {
          providerId: s.providerId,
          cardId: card.cardId,
          cardApId: req.cardApId,
          fixed: pinRule.fixed,
          method: req.consent.method,
          ...(req.consent.note ? { note: req.consent.note } : {}),
        },
      },
      ctx.now(),
    ),
  );
  return {
    cardId: card.cardId,
    cardApId: req.cardApId,
    aid: inst.aid,
    tries: pinRule.tries,
    fixed: pinRule.fixed,
    recovered,
  };
}
