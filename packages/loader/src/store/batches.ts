/**
 * Bulk loading (一括搭載) of cards prepared before hand-over — seeds/004: the taxi
 * subsidy card AP written onto new cards before they are issued. A batch groups
 * the loads of one terminal; each card is still its own saga, with its own
 * consent row (method `counter_form`: the application form), so a card pulled
 * out mid-batch loses nothing and the batch goes on with the next card.
 */
import { appendAudit, writeTransaction } from './audit.ts';
import { LoaderError, notFound } from '../errors.ts';
import type { Queryable } from '@myna-ap/db';
import { newId, type ProviderId, type TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { iso } from './rows.ts';

export interface BatchView {
  readonly id: string;
  readonly providerId: string;
  readonly terminalId: string;
  readonly cardApIds: readonly string[];
  readonly state: 'open' | 'done' | 'cancelled';
  readonly createdAt: string;
  /** Cards met in the batch, and the loads by state. */
  readonly cards: number;
  readonly loaded: number;
  readonly failed: number;
  readonly unfinished: number;
}

interface Row {
  id: string;
  provider_id: string;
  terminal_id: string;
  card_ap_ids: string[];
  state: BatchView['state'];
  created_at: Date;
  cards: number;
  loaded: number;
  failed: number;
  unfinished: number;
}

const SELECT = `SELECT b.*,
   (SELECT count(DISTINCT card_id) FROM card_ap_instances i WHERE i.batch_id = b.id)::int AS cards,
   (SELECT count(*) FROM card_ap_instances i WHERE i.batch_id = b.id AND i.state IN ('loaded', 'deleting', 'deleted'))::int AS loaded,
   (SELECT count(*) FROM card_ap_instances i WHERE i.batch_id = b.id AND i.state = 'failed')::int AS failed,
   (SELECT count(*) FROM card_ap_instances i WHERE i.batch_id = b.id AND i.state = 'pending')::int AS unfinished
   FROM load_batches b`;

function view(r: Row): BatchView {
  return {
    id: r.id,
    providerId: r.provider_id,
    terminalId: r.terminal_id,
    cardApIds: r.card_ap_ids,
    state: r.state,
    createdAt: iso(r.created_at) ?? '',
    cards: Number(r.cards),
    loaded: Number(r.loaded),
    failed: Number(r.failed),
    unfinished: Number(r.unfinished),
  };
}

async function find(q: Queryable, s: Session, id: string): Promise<Row> {
  const r = (await q.query<Row>(`${SELECT} WHERE b.id = $1`, [id])).rows[0];
  if (!r || r.provider_id !== s.providerId) throw notFound('batch', id);
  return r;
}

export async function createBatch(
  ctx: Ctx,
  s: Session,
  b: { terminalId: TerminalId; cardApIds: readonly string[]; note?: string | undefined },
): Promise<BatchView> {
  authorize(s, 'card.load', { providerId: s.providerId, terminalId: b.terminalId });
  return writeTransaction(ctx.db, async (tx) => {
    for (const ap of b.cardApIds) {
      const r = await tx.query<{ provider_id: string }>(
        'SELECT provider_id FROM card_aps WHERE id = $1',
        [ap],
      );
      if (r.rows[0]?.provider_id !== s.providerId) throw notFound('card AP', ap);
    }
    const id = newId('lb');
    await tx.query(
      `INSERT INTO load_batches (id, provider_id, terminal_id, card_ap_ids, state, created_at, created_by)
       VALUES ($1, $2, $3, $4::jsonb, 'open', $5, $6)`,
      [id, s.providerId, b.terminalId, JSON.stringify(b.cardApIds), ctx.now(), s.operatorId],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'batch.create',
        target: id,
        detail: {
          providerId: s.providerId as ProviderId,
          terminalId: b.terminalId,
          cardApIds: b.cardApIds,
          ...(b.note ? { note: b.note } : {}),
        },
      },
      ctx.now(),
    );
    return view(await find(tx, s, id));
  });
}

export async function getBatch(ctx: Ctx, s: Session, id: string): Promise<BatchView> {
  authorize(s, 'cardap.read', { providerId: s.providerId });
  return view(await find(ctx.db, s, id));
}

/** The largest page of GET /v1/batches, and the page when none is asked. */
export const BATCH_PAGE = { max: 100, default: 20 } as const;

/**
 * The provider's batches, newest first, a page at a time: `before` is the last id
 * of the page already shown (keyset paging: a batch opened meanwhile shifts nothing).
 * `next` is the id to ask `before` with, or null on the last page.
 */
export async function listBatches(
  ctx: Ctx,
  s: Session,
  page: { limit?: number | undefined; before?: string | undefined } = {},
): Promise<{ batches: BatchView[]; next: string | null }> {
  authorize(s, 'cardap.read', { providerId: s.providerId });
  const limit = Math.min(page.limit ?? BATCH_PAGE.default, BATCH_PAGE.max);
  const args: unknown[] = [s.providerId, limit + 1];
  let after = '';
  if (page.before !== undefined) {
    // Another provider's id is as unknown here as a made-up one.
    await find(ctx.db, s, page.before);
    args.push(page.before);
    after = `AND (b.created_at, b.id) < (SELECT created_at, id FROM load_batches WHERE id = $3)`;
  }
  const rows = (
    await ctx.db.query<Row>(
      `${SELECT} WHERE b.provider_id = $1 ${after} ORDER BY b.created_at DESC, b.id DESC LIMIT $2`,
      args,
    )
  ).rows;
  const more = rows.length > limit;
  const shown = rows.slice(0, limit).map(view);
  return { batches: shown, next: more ? shown[shown.length - 1]!.id : null };
}

/** Ends a batch: `done` (or `cancelled`); its loads stay as they are. */
export async function closeBatch(
  ctx: Ctx,
  s: Session,
  id: string,
  to: 'done' | 'cancelled' = 'done',
): Promise<BatchView> {
  return writeTransaction(ctx.db, async (tx) => {
    const r = await find(tx, s, id);
    authorize(s, 'card.load', {
      providerId: s.providerId,
      terminalId: r.terminal_id as TerminalId,
    });
    if (r.state !== 'open') {
      throw new LoaderError(
        'BATCH_CLOSED',
        {
          en: `batch ${id} is already ${r.state}`,
          ja: `一括搭載 ${id} は既に終了しています（${r.state}）`,
        },
        409,
      );
    }
    await tx.query('UPDATE load_batches SET state = $2 WHERE id = $1', [id, to]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: `batch.${to}`,
        target: id,
        detail: {
          providerId: r.provider_id,
          cards: Number(r.cards),
          loaded: Number(r.loaded),
          failed: Number(r.failed),
        },
      },
      ctx.now(),
    );
    return view(await find(tx, s, id));
  });
}

/** A load may join a batch only while it is open, at the batch's terminal, for its provider. */
export async function checkBatchOpen(
  q: Queryable,
  s: Session,
  id: string,
  terminalId: string,
): Promise<void> {
  const r = await find(q, s, id);
  if (r.state !== 'open' || r.terminal_id !== terminalId) {
    throw new LoaderError(
      'BATCH_CLOSED',
      {
        en: `batch ${id} is ${r.state === 'open' ? `for terminal ${r.terminal_id}` : r.state}`,
        ja: `一括搭載 ${id} には追加できません（${r.state === 'open' ? `端末 ${r.terminal_id} 用` : r.state}）`,
      },
      409,
    );
  }
}
