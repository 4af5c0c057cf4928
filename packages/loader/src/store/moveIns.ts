/**
 * 引越継続利用, the database half: the procedure's record (move_ins), the holder's
 * new municipality, and the notices to the providers of each local card AP the
 * procedure removes. The card half is cardops/moveIn.ts.
 */
import { appendAudit, writeTransaction } from './audit.ts';
import { LoaderError } from '../errors.ts';
import { newId, type CardId } from '../domain/ids.ts';
import type { Queryable } from '@myna-ap/db';
import type { Ctx, Session } from './context.ts';
import { upsertCard, type InstanceView } from './instances.ts';

export interface MoveInStarted {
  readonly moveInId: string;
  /** Where the holder was registered before (null when never known). */
  readonly from: string | null;
}

/**
 * Records the move before any card step: the card's municipality becomes `to`,
 * so the old municipality can load nothing more into the local area even if the
 * procedure is cut short. A procedure cut short is resumed; a move within the
 * same municipality is refused.
 */
export async function startMoveIn(
  ctx: Ctx,
  s: Session,
  cardId: CardId,
  fromCard: string | null,
  to: string,
): Promise<MoveInStarted> {
  return writeTransaction(ctx.db, async (tx) => {
    const before = await upsertCard(tx, cardId, { fromCard });
    const from = before.municipalityCode;
    if (from === to) {
      const open = (
        await tx.query<{ id: string; from_municipality: string | null }>(
          "SELECT id, from_municipality FROM move_ins WHERE card_id = $1 AND to_municipality = $2 AND state = 'pending' ORDER BY at DESC LIMIT 1",
          [cardId, to],
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
      [id, cardId, from, to, ctx.now(), s.operatorId],
    );
    await tx.query('UPDATE cards SET municipality_code = $2 WHERE card_id = $1', [cardId, to]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'card.move_in',
        target: id,
        detail: { providerId: s.providerId, cardId, from, to },
      },
      ctx.now(),
    );
    return { moveInId: id, from };
  });
}

/**
 * The notices of one removal, to the card AP's owner and its joint users and
 * partner stores, with the user ID so their business systems find the holder.
 * Runs in the transaction that starts the delete: a removal begun is always told.
 */
export async function noticeMoveInRemoval(
  tx: Queryable,
  inst: InstanceView,
  move: MoveInStarted & { readonly to: string },
  now: Date,
): Promise<void> {
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
        inst.cardId,
        inst.id,
        JSON.stringify({
          cardApId: inst.cardApId,
          aid: inst.aid,
          userId: inst.userId,
          moveInId: move.moveInId,
          from: move.from,
          to: move.to,
        }),
        now,
      ],
    );
  }
}

/** The procedure is done: every local card AP it had to remove is gone. */
export async function finishMoveIn(
  ctx: Ctx,
  s: Session,
  moveInId: string,
  cardId: CardId,
  removed: number,
): Promise<void> {
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query("UPDATE move_ins SET state = 'done' WHERE id = $1", [moveInId]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'card.move_in_done',
        target: moveInId,
        detail: { providerId: s.providerId, cardId, removed },
      },
      ctx.now(),
    );
  });
}
