/** カードAP管理: requests, approval (AID from the provider's range), versions, suspend, retire, joint use. */
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import type { Queryable } from '@myna-ap/db';
import {
  checkRequest,
  checkTransition,
  type AccessConditions,
  type CardApRequest,
  type CardApStatus,
  type CardApType,
} from '../domain/cardAp.ts';
import { aidInRange } from '../domain/provider.ts';
import { newId, type CardApId, type ProviderId } from '../domain/ids.ts';
import type { AreaName } from '@myna-ap/apdu';
import { authorize, type Ctx, type Session } from './context.ts';
import { findProvider } from './providers.ts';
import { hexUpper, iso } from './rows.ts';

interface CardApRow {
  id: string;
  provider_id: string;
  name: string;
  type: CardApType;
  areas: AreaName[];
  status: CardApStatus;
  aid: Uint8Array | null;
  version: number;
  requested: CardApRequest;
  pending: boolean;
  requested_at: Date;
  requested_by: string;
  size: number | null;
  access: AccessConditions | null;
  users: { providerId: string; relation: 'joint' | 'partner' }[] | null;
  carry_over: boolean;
}

export interface CardApView {
  readonly id: CardApId;
  readonly providerId: ProviderId;
  readonly name: string;
  readonly type: CardApType;
  readonly areas: readonly AreaName[];
  readonly status: CardApStatus;
  readonly aid: string | null;
  readonly version: number;
  readonly size: number | null;
  readonly access: AccessConditions | null;
  /** A request (first, or a new version) awaits approval. */
  readonly pendingRequest: CardApRequest | null;
  readonly users: readonly { providerId: string; relation: 'joint' | 'partner' }[];
  readonly requestedAt: string | null;
  /** 引継ぎ: a municipality's counter may carry it over to a holder's renewed or reissued card. */
  readonly carryOver: boolean;
}

const SELECT = `SELECT c.*, v.size, v.access,
  (SELECT json_agg(json_build_object('providerId', u.provider_id, 'relation', u.relation) ORDER BY u.provider_id)
     FROM card_ap_users u WHERE u.card_ap_id = c.id) AS users
  FROM card_aps c LEFT JOIN card_ap_versions v ON v.card_ap_id = c.id AND v.version = c.version`;

function view(r: CardApRow): CardApView {
  return {
    id: r.id as CardApId,
    providerId: r.provider_id as ProviderId,
    name: r.name,
    type: r.type,
    areas: r.areas,
    status: r.status,
    aid: hexUpper(r.aid),
    version: Number(r.version),
    size: r.size === null ? null : Number(r.size),
    access: r.access,
    pendingRequest: r.pending ? r.requested : null,
    users: r.users ?? [],
    requestedAt: iso(r.requested_at),
    carryOver: r.carry_over,
  };
}

async function find(q: Queryable, id: string, lock = false): Promise<CardApRow | undefined> {
  if (lock) await q.query('SELECT 1 FROM card_aps WHERE id = $1 FOR UPDATE', [id]);
  return (await q.query<CardApRow>(`${SELECT} WHERE c.id = $1`, [id])).rows[0];
}

/** Whether the session's provider owns or uses the card AP. */
function visible(s: Session, r: CardApRow): boolean {
  return (
    s.role === 'platform' ||
    r.provider_id === s.providerId ||
    (r.users ?? []).some((u) => u.providerId === s.providerId)
  );
}

export async function getCardAp(ctx: Ctx, s: Session, id: string): Promise<CardApView> {
  const r = await find(ctx.db, id);
  if (!r || !visible(s, r)) throw notFound('card AP', id);
  authorize(s, 'cardap.read', { providerId: s.role === 'platform' ? null : s.providerId });
  return view(r);
}

export async function listCardAps(
  ctx: Ctx,
  s: Session,
  filter: { providerId?: string | undefined; status?: CardApStatus | undefined } = {},
): Promise<CardApView[]> {
  authorize(s, 'cardap.read', s.role === 'platform' ? {} : { providerId: s.providerId });
  const r = await ctx.db.query<CardApRow>(
    `${SELECT}
     WHERE ($1::text IS NULL OR c.provider_id = $1 OR EXISTS (
             SELECT 1 FROM card_ap_users u WHERE u.card_ap_id = c.id AND u.provider_id = $1))
       AND ($2::text IS NULL OR c.provider_id = $2)
       AND ($3::text IS NULL OR c.status = $3)
     ORDER BY c.requested_at, c.id`,
    [s.role === 'platform' ? null : s.providerId, filter.providerId ?? null, filter.status ?? null],
  );
  return r.rows.map(view);
}

/** A provider asks for a card AP (カードAP登録依頼書). */
export async function requestCardAp(
  ctx: Ctx,
  s: Session,
  providerId: ProviderId,
  req: CardApRequest,
): Promise<CardApView> {
  authorize(s, 'cardap.request', { providerId });
  checkRequest(req);
  return writeTransaction(ctx.db, async (tx) => {
    const p = await findProvider(tx, providerId);
    if (!p) throw notFound('provider', providerId);
    if (!p.canLoad || p.status !== 'active') {
      throw new LoaderError(
        'PROVIDER_CANNOT_REQUEST',
        {
          en: 'only an active provider that loads card APs may request one (a partner store uses its representative’s)',
          ja: 'カードAPの登録依頼は搭載を行う有効なサービス提供者のみ可能です（提携店は代表のカードAPを利用します）',
        },
        409,
      );
    }
    const id = newId<CardApId>('ap');
    await tx.query(
      `INSERT INTO card_aps (id, provider_id, name, type, areas, status, requested, pending, requested_at, requested_by)
       VALUES ($1, $2, $3, $4, $5::jsonb, 'requested', $6::jsonb, true, $7, $8)`,
      [
        id,
        providerId,
        req.name,
        req.type,
        JSON.stringify(req.areas),
        JSON.stringify(req),
        ctx.now(),
        s.operatorId,
      ],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'cardap.request',
        target: id,
        detail: { providerId, type: req.type, size: req.size },
      },
      ctx.now(),
    );
    return view((await find(tx, id))!);
  });
}

/** A new version of an approved card AP: same AID and type, new parameters. */
export async function requestNewVersion(
  ctx: Ctx,
  s: Session,
  id: string,
  req: CardApRequest,
): Promise<CardApView> {
  return writeTransaction(ctx.db, async (tx) => {
    const r = await find(tx, id, true);
    if (!r || (s.role !== 'platform' && r.provider_id !== s.providerId))
      throw notFound('card AP', id);
    authorize(s, 'cardap.request', { providerId: r.provider_id as ProviderId });
    if (req.type !== r.type) {
      throw new LoaderError('CARDAP_TYPE_FIXED', {
        en: 'a new version keeps the card AP type',
        ja: '新しい版でもカードAPの種類は変更できません',
      });
    }
    if (r.status !== 'approved' && r.status !== 'suspended') checkTransition(r.status, 'approved');
    checkRequest(req);
    await tx.query('UPDATE card_aps SET requested = $2::jsonb, pending = true WHERE id = $1', [
      id,
      JSON.stringify(req),
    ]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'cardap.version_request',
        target: id,
        detail: { providerId: r.provider_id, size: req.size },
      },
      ctx.now(),
    );
    return view((await find(tx, id))!);
  });
}

export interface Approval {
  /** Size to reserve; defaults to the requested size and may not exceed it. */
  readonly size?: number | undefined;
}

/** The platform (機構) approves: AID from the provider's range on first approval, version +1. */
export async function approveCardAp(
  ctx: Ctx,
  s: Session,
  id: string,
  a: Approval = {},
): Promise<CardApView> {
  authorize(s, 'cardap.approve');
  return writeTransaction(ctx.db, async (tx) => {
    const r = await find(tx, id, true);
    if (!r) throw notFound('card AP', id);
    if (!r.pending) {
      throw new LoaderError(
        'CARDAP_NOTHING_TO_APPROVE',
        { en: 'no request is waiting for approval', ja: '承認待ちの依頼はありません' },
        409,
      );
    }
    // A first request, or a new version of an approved / suspended card AP.
    if (r.status === 'rejected' || r.status === 'retired') checkTransition(r.status, 'approved');
    const req = r.requested;
    const size = a.size ?? req.size;
    if (size > req.size) {
      throw new LoaderError('CARDAP_SIZE_ABOVE_REQUEST', {
        en: `approval cannot grant more than the ${req.size} bytes requested`,
        ja: `承認サイズは依頼サイズ（${req.size} バイト）以下にしてください`,
      });
    }
    const access = checkRequest({ ...req, size });
    let aid = r.aid;
    if (!aid) {
      // The provider row lock makes two approvals take two different serials.
      const p = await findProvider(tx, r.provider_id, true);
      if (!p) throw notFound('provider', r.provider_id);
      aid = aidInRange(p.aidPrefix, p.aidNext);
      await tx.query('UPDATE providers SET aid_next = aid_next + 1 WHERE id = $1', [p.id]);
    }
    const version = Number(r.version) + 1;
    await tx.query(
      `INSERT INTO card_ap_versions (card_ap_id, version, size, access, spec, approved_at, approved_by)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7)`,
      [id, version, size, JSON.stringify(access), JSON.stringify(req), ctx.now(), s.operatorId],
    );
    await tx.query(
      `UPDATE card_aps SET aid = $2, version = $3, pending = false, name = $4, areas = $5::jsonb,
         status = CASE WHEN status = 'requested' THEN 'approved' ELSE status END WHERE id = $1`,
      [id, aid, version, req.name, JSON.stringify(req.areas)],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'cardap.approve',
        target: id,
        detail: { providerId: r.provider_id, aid: hexUpper(aid), version, size },
      },
      ctx.now(),
    );
    return view((await find(tx, id))!);
  });
}

const ACTION_FOR: Readonly<
  Record<
    'rejected' | 'suspended' | 'approved' | 'retired',
    'cardap.approve' | 'cardap.suspend' | 'cardap.retire'
  >
> = {
  rejected: 'cardap.approve',
  suspended: 'cardap.suspend',
  approved: 'cardap.suspend', // resume
  retired: 'cardap.retire',
};

/** reject (a first request), suspend, resume (→ approved), retire. */
export async function setCardApStatus(
  ctx: Ctx,
  s: Session,
  id: string,
  to: 'rejected' | 'suspended' | 'approved' | 'retired',
): Promise<CardApView> {
  return writeTransaction(ctx.db, async (tx) => {
    const r = await find(tx, id, true);
    if (!r || (s.role !== 'platform' && r.provider_id !== s.providerId))
      throw notFound('card AP', id);
    authorize(s, ACTION_FOR[to], { providerId: r.provider_id as ProviderId });
    if (to === 'approved' && r.status === 'requested') {
      throw new LoaderError(
        'CARDAP_USE_APPROVE',
        {
          en: 'a request is approved with approve, not resumed',
          ja: '依頼は承認操作で承認してください',
        },
        409,
      );
    }
    checkTransition(r.status, to);
    await tx.query(
      "UPDATE card_aps SET status = $2, pending = CASE WHEN $2 = 'rejected' THEN false ELSE pending END WHERE id = $1",
      [id, to],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: `cardap.${to === 'approved' ? 'resume' : to}`,
        target: id,
        detail: { providerId: r.provider_id, from: r.status },
      },
      ctx.now(),
    );
    return view((await find(tx, id))!);
  });
}

/**
 * 引継ぎ: whether a municipality's counter may load the card AP onto a holder's
 * renewed or reissued card (cardops/carryOver.ts). The owner's administrator
 * decides (off until then); audited.
 */
export async function setCardApCarryOver(
  ctx: Ctx,
  s: Session,
  id: string,
  allowed: boolean,
): Promise<CardApView> {
  return writeTransaction(ctx.db, async (tx) => {
    const r = await find(tx, id, true);
    if (!r || r.provider_id !== s.providerId) throw notFound('card AP', id);
    authorize(s, 'cardap.request', { providerId: r.provider_id as ProviderId });
    if (r.carry_over !== allowed) {
      await tx.query('UPDATE card_aps SET carry_over = $2 WHERE id = $1', [id, allowed]);
      await appendAudit(
        tx,
        {
          actor: s.operatorId,
          action: 'cardap.carry_over',
          target: id,
          detail: { providerId: r.provider_id, allowed },
        },
        ctx.now(),
      );
    }
    return view((await find(tx, id))!);
  });
}

/**
 * Another provider uses the card AP: `partner` (a partner store of the owner,
 * seeds/002 VIII-2) or `joint` (共同利用, VIII-3).
 */
export async function addCardApUser(
  ctx: Ctx,
  s: Session,
  id: string,
  userProvider: ProviderId,
  relation: 'joint' | 'partner',
): Promise<CardApView> {
  authorize(s, 'cardap.approve');
  return writeTransaction(ctx.db, async (tx) => {
    const r = await find(tx, id, true);
    if (!r) throw notFound('card AP', id);
    const u = await findProvider(tx, userProvider);
    if (!u) throw notFound('provider', userProvider);
    if (u.id === r.provider_id) {
      throw new LoaderError(
        'CARDAP_USER_IS_OWNER',
        { en: 'the owner already uses its card AP', ja: '所有者は既に利用者です' },
        409,
      );
    }
    if (relation === 'partner' && u.representativeId !== r.provider_id) {
      throw new LoaderError(
        'PARTNER_NOT_OF_REPRESENTATIVE',
        {
          en: `${u.id} is not a partner store of ${r.provider_id}`,
          ja: `${u.id} は ${r.provider_id} の提携店ではありません`,
        },
        409,
      );
    }
    await tx.query(
      `INSERT INTO card_ap_users (card_ap_id, provider_id, relation, since) VALUES ($1, $2, $3, $4)
       ON CONFLICT (card_ap_id, provider_id) DO UPDATE SET relation = EXCLUDED.relation`,
      [id, u.id, relation, ctx.now()],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'cardap.add_user',
        target: id,
        detail: { providerId: r.provider_id, user: u.id, relation },
      },
      ctx.now(),
    );
    return view((await find(tx, id))!);
  });
}

/** The card AP's owner and the access conditions of its current version (none before approval). */
export async function currentAccess(
  q: Queryable,
  cardApId: CardApId,
): Promise<{ providerId: string; access: AccessConditions | null } | undefined> {
  const r = (
    await q.query<{ provider_id: string; access: AccessConditions | null }>(
      `SELECT c.provider_id, v.access FROM card_aps c
         LEFT JOIN card_ap_versions v ON v.card_ap_id = c.id AND v.version = c.version
        WHERE c.id = $1`,
      [cardApId],
    )
  ).rows[0];
  return r ? { providerId: r.provider_id, access: r.access } : undefined;
}
