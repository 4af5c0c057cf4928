/**
 * 引越継続利用 (seeds/002 II-3 (2)): at the continuation procedure in the new
 * municipality, the card APs of 地域住民向け領域 are deleted and those of
 * 拡張利用領域 stay. Each removal goes through the delete saga (reason
 * `move_in`) and becomes a notice to the providers concerned (the owner and the
 * card AP's joint users and partner stores), with the user ID so their business
 * systems can find the holder. The holder's municipality is recorded first, so
 * the old municipality can load nothing more into the local area even if the
 * procedure is cut short; running it again finishes the removals.
 */
import type { Transmit } from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';
import type { TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { findProvider } from '../store/providers.ts';
import { checkHours, liveInstances, settle, startDelete } from '../store/instances.ts';
import { finishMoveIn, noticeMoveInRemoval, startMoveIn } from '../store/moveIns.ts';
import { openArea, remove, type AreaChannel } from './areaSession.ts';
import { readIdentity } from './cardAccess.ts';
import { instanceAid, recoverCard, type Recovered } from './recover.ts';

export interface MoveInRequest {
  readonly terminalId: TerminalId;
  /** The municipality the holder moved in to: the operator's own. */
  readonly toMunicipality: string;
  readonly overrideHours?: boolean | undefined;
}

export interface MoveInOutcome {
  readonly moveInId: string;
  readonly cardId: string;
  readonly from: string | null;
  readonly to: string;
  readonly recovered: readonly Recovered[];
  /** Local-area card APs deleted from the card. */
  readonly removed: readonly {
    instanceId: string;
    cardApId: string;
    providerId: string;
    aid: string;
  }[];
  /** Extended-area card APs that stay. */
  readonly kept: readonly {
    instanceId: string;
    cardApId: string;
    providerId: string;
    aid: string;
  }[];
}

export async function moveIn(
  ctx: Ctx,
  s: Session,
  t: Transmit,
  req: MoveInRequest,
): Promise<MoveInOutcome> {
  authorize(s, 'card.move_in', { providerId: s.providerId, terminalId: req.terminalId });
  const provider = await findProvider(ctx.db, s.providerId!);
  if (provider?.kind !== 'municipality' || provider.municipalityCode !== req.toMunicipality) {
    throw new LoaderError(
      'MOVE_IN_NOT_THIS_MUNICIPALITY',
      {
        en: `the continuation procedure for a move to ${req.toMunicipality} is done by that municipality`,
        ja: `${req.toMunicipality} への転入の継続利用手続きは転入先の市区町村が行います`,
      },
      403,
    );
  }
  await checkHours(ctx, s, req.overrideHours === true, {
    op: 'move_in',
    terminalId: req.terminalId,
  });
  const card = await readIdentity(t, true);
  const recovered = await recoverCard(ctx, s.operatorId, t, card, s.providerId);

  // Where the holder was, and the procedure's record, before any card step.
  const move = await startMoveIn(ctx, s, card.cardId, card.municipalityCode, req.toMunicipality);
  const { moveInId, from } = move;

  const live = await liveInstances(ctx.db, card.cardId);
  const removed: MoveInOutcome['removed'][number][] = [];
  let channel: AreaChannel | undefined;
  for (const inst of live.filter((i) => i.area === 'local' && i.state === 'loaded')) {
    channel ??= await openArea(t, ctx.keys, 'local', card);
    // The notices commit with `deleting`: a removal that has begun is always reported.
    await startDelete(ctx, s.operatorId, inst.id, 'move_in', moveInId, (tx) =>
      noticeMoveInRemoval(tx, inst, { ...move, to: req.toMunicipality }, ctx.now()),
    );
    const deleted = await remove(channel, instanceAid(inst));
    await settle(ctx, s.operatorId, inst.id, 'deleted', deleted ? 'deleted' : 'absent');
    removed.push({
      instanceId: inst.id,
      cardApId: inst.cardApId,
      providerId: inst.providerId,
      aid: inst.aid,
    });
  }
  await finishMoveIn(ctx, s, moveInId, card.cardId, removed.length);
  const kept = live
    .filter((i) => i.area === 'extended' && i.state === 'loaded')
    .map((i) => ({ instanceId: i.id, cardApId: i.cardApId, providerId: i.providerId, aid: i.aid }));
  return { moveInId, cardId: card.cardId, from, to: req.toMunicipality, recovered, removed, kept };
}
