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
import { appendAudit, writeTransaction } from '../audit.ts';
import { LoaderError } from '../errors.ts';
import { newId, type TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { findProvider } from '../store/providers.ts';
import { checkHours, liveInstances, settle, startDelete, upsertCard } from '../store/instances.ts';
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
  const { moveInId, from } = await writeTransaction(ctx.db, async (tx) => {
    const before = await upsertCard(tx, card.cardId, { fromCard: card.municipalityCode });
    const from = before.municipalityCode;
    if (from === req.toMunicipality) {
      const open = (
        await tx.query<{ id: string; from_municipality: string | null }>(
          "SELECT id, from_municipality FROM move_ins WHERE card_id = $1 AND to_municipality = $2 AND state = 'pending' ORDER BY at DESC LIMIT 1",
          [card.cardId, req.toMunicipality],
        )
      ).rows[0];
      // Resuming a procedure that was cut short is fine; a move within the town is not a move-in.
      if (open) return { moveInId: open.id, from: open.from_municipality };
      throw new LoaderError(
        'MOVE_IN_SAME_MUNICIPALITY',
        {
          en: `the holder is already registered in ${from}: the local card APs stay`,
          ja: `住民票は既に ${from} にあります。地域住民向け領域のカードAPはそのまま利用できます`,
        },
        409,
      );
    }
    const id = newId('mv');
    await tx.query(
      `INSERT INTO move_ins (id, card_id, from_municipality, to_municipality, state, at, recorded_by)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6)`,
      [id, card.cardId, from, req.toMunicipality, ctx.now(), s.operatorId],
    );
    await tx.query('UPDATE cards SET municipality_code = $2 WHERE card_id = $1', [
      card.cardId,
      req.toMunicipality,
    ]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'card.move_in',
        target: id,
        detail: { providerId: s.providerId, cardId: card.cardId, from, to: req.toMunicipality },
      },
      ctx.now(),
    );
    return { moveInId: id, from };
  });

  const live = await liveInstances(ctx.db, card.cardId);
  const removed: MoveInOutcome['removed'][number][] = [];
  let channel: AreaChannel | undefined;
  for (const inst of live.filter((i) => i.area === 'local' && i.state === 'loaded')) {
    channel ??= await openArea(t, ctx.keys, 'local', card);
    // The notices commit with `deleting`: a removal that has begun is always reported.
    await startDelete(ctx, s.operatorId, inst.id, 'move_in', moveInId, async (tx) => {
      const users = await tx.query<{ provider_id: string }>(
        'SELECT provider_id FROM card_ap_users WHERE card_ap_id = $1',
        [inst.cardApId],
      );
      for (const p of [inst.providerId, ...users.rows.map((u) => u.provider_id)]) {
        await tx.query(
          `INSERT INTO provider_notices (provider_id, kind, card_id, instance_id, detail, created_at)
           VALUES ($1, 'move_in_removed', $2, $3, $4::jsonb, $5)`,
          [
            p,
            card.cardId,
            inst.id,
            JSON.stringify({
              cardApId: inst.cardApId,
              aid: inst.aid,
              userId: inst.userId,
              moveInId,
              from,
              to: req.toMunicipality,
            }),
            ctx.now(),
          ],
        );
      }
    });
    const deleted = await remove(channel, instanceAid(inst));
    await settle(ctx, s.operatorId, inst.id, 'deleted', deleted ? 'deleted' : 'absent');
    removed.push({
      instanceId: inst.id,
      cardApId: inst.cardApId,
      providerId: inst.providerId,
      aid: inst.aid,
    });
  }
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query("UPDATE move_ins SET state = 'done' WHERE id = $1", [moveInId]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'card.move_in_done',
        target: moveInId,
        detail: { providerId: s.providerId, cardId: card.cardId, removed: removed.length },
      },
      ctx.now(),
    );
  });
  const kept = live
    .filter((i) => i.area === 'extended' && i.state === 'loaded')
    .map((i) => ({ instanceId: i.id, cardApId: i.cardApId, providerId: i.providerId, aid: i.aid }));
  return { moveInId, cardId: card.cardId, from, to: req.toMunicipality, recovered, removed, kept };
}
