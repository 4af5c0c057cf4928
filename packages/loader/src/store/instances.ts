/**
 * Card AP instances and consents: the database half of the load / delete saga.
 * `reserveLoad` is the saga's first step (before the INSTALL): it takes a load's
 * plan (store/loadPlan.ts, the rules that need no card, decided once), records the
 * pending row and spends a fresh user ID.
 * `settle` applies a saga event. The card half comes with the transport.
 */
import { fromHex, type AreaName } from '@myna-ap/apdu';
import type { ApprovedVersion } from '../domain/installSpec.ts';
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import type { Queryable } from '@myna-ap/db';
import { uniqueViolation } from '@myna-ap/db';
import {
  newId,
  type CardApId,
  type CardId,
  type ConsentId,
  type InstanceId,
  type TerminalId,
  type UserId,
} from '../domain/ids.ts';
import {
  newUserId,
  USER_ID_ATTEMPTS,
  type RandomSource,
  cryptoRandom,
} from '../domain/rules/userId.ts';
import { areaEligibility } from '../domain/rules/area.ts';
import { checkLoadable, type CardApStatus } from '../domain/cardAp.ts';
import {
  reconcile,
  transition,
  type InstanceState,
  type OnCard,
  type Reconciliation,
  type SagaEvent,
} from '../domain/saga.ts';
import { checkServiceHours } from '../domain/rules/serviceHours.ts';
import { can } from '../domain/roles.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { currentServiceHours } from './settings.ts';
import { findProvider } from './providers.ts';
import { hexUpper, iso } from './rows.ts';
import { noticeCarried } from './carryOvers.ts';
import type { CardStatus } from '../domain/cardStatus.ts';
import type { LoadPlan, ReservableCardAp } from './loadPlan.ts';

export interface InstanceView {
  readonly id: InstanceId;
  readonly cardId: CardId;
  readonly area: AreaName;
  readonly cardApId: CardApId;
  readonly version: number;
  readonly aid: string;
  readonly userId: string;
  readonly providerId: string;
  readonly terminalId: string | null;
  readonly state: InstanceState;
  readonly step: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly loadedAt: string | null;
  readonly deletedAt: string | null;
}

interface InstanceRow {
  id: string;
  card_id: string;
  area: AreaName;
  card_ap_id: string;
  version: number;
  aid: Uint8Array;
  user_id: Uint8Array;
  provider_id: string;
  terminal_id: string | null;
  state: InstanceState;
  step: string | null;
  created_at: Date;
  created_by: string;
  loaded_at: Date | null;
  deleted_at: Date | null;
  carried_from?: string | null;
}

function view(r: InstanceRow): InstanceView {
  return {
    id: r.id as InstanceId,
    cardId: r.card_id as CardId,
    area: r.area,
    cardApId: r.card_ap_id as CardApId,
    version: Number(r.version),
    aid: hexUpper(r.aid) ?? '',
    userId: hexUpper(r.user_id) ?? '',
    providerId: r.provider_id,
    terminalId: r.terminal_id,
    state: r.state,
    step: r.step,
    createdAt: iso(r.created_at) ?? '',
    createdBy: r.created_by,
    loadedAt: iso(r.loaded_at),
    deletedAt: iso(r.deleted_at),
  };
}

/**
 * Registers a card the first time it is met, and says where its holder is
 * registered: what the resident system supplies wins and is kept; otherwise the
 * code already recorded (set by a move-in or an earlier supply); otherwise what
 * the card's 共通カードAP says.
 */
export async function upsertCard(
  tx: Queryable,
  cardId: CardId,
  municipality: { readonly supplied?: string | null; readonly fromCard?: string | null } = {},
): Promise<{ status: string; municipalityCode: string | null }> {
  const r = await tx.query<{ status: string; municipality_code: string | null }>(
    `INSERT INTO cards (card_id, municipality_code) VALUES ($1, COALESCE($2, $3))
     ON CONFLICT (card_id) DO UPDATE
       SET municipality_code = COALESCE($2, cards.municipality_code, $3)
     RETURNING status, municipality_code`,
    [cardId, municipality.supplied ?? null, municipality.fromCard ?? null],
  );
  return {
    status: r.rows[0]?.status ?? 'active',
    municipalityCode: r.rows[0]?.municipality_code ?? null,
  };
}

/** The card's recorded status (紛失 and the like), or null for a card never met. */
export async function cardStatus(q: Queryable, cardId: CardId): Promise<CardStatus | null> {
  const r = await q.query<{ status: CardStatus }>('SELECT status FROM cards WHERE card_id = $1', [
    cardId,
  ]);
  return r.rows[0]?.status ?? null;
}

export interface ConsentInput {
  readonly cardId: CardId;
  readonly cardApId: CardApId;
  readonly purpose: 'load' | 'delete';
  readonly method: 'counter_form' | 'counter_signature' | 'online';
  readonly note?: string | undefined;
}

/** 本人の希望: recorded before a load (技術的基準 第9 3 (3)). */
export async function recordConsent(
  ctx: Ctx,
  s: Session,
  terminalId: TerminalId,
  c: ConsentInput,
): Promise<ConsentId> {
  return writeTransaction(ctx.db, (tx) => insertConsent(tx, ctx, s, terminalId, c));
}

/** The consent row and its audit row, inside the caller's transaction. */
async function insertConsent(
  tx: Queryable,
  ctx: Ctx,
  s: Session,
  terminalId: TerminalId,
  c: ConsentInput,
): Promise<ConsentId> {
  const ap = await tx.query<{ provider_id: string }>(
    'SELECT provider_id FROM card_aps WHERE id = $1',
    [c.cardApId],
  );
  const owner = ap.rows[0]?.provider_id;
  if (!owner || owner !== s.providerId) throw notFound('card AP', c.cardApId);
  authorize(s, 'consent.record', { providerId: s.providerId, terminalId });
  await upsertCard(tx, c.cardId);
  return consentRow(tx, ctx.now(), s.operatorId, owner, c);
}

/** Writes a consent already decided (its card known, its card AP the provider's own). */
async function consentRow(
  tx: Queryable,
  now: Date,
  operatorId: string,
  providerId: string,
  c: ConsentInput,
): Promise<ConsentId> {
  const id = newId<ConsentId>('cs');
  await tx.query(
    `INSERT INTO consents (id, card_id, card_ap_id, provider_id, purpose, method, given_at, recorded_by, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, c.cardId, c.cardApId, providerId, c.purpose, c.method, now, operatorId, c.note ?? null],
  );
  await appendAudit(
    tx,
    {
      actor: operatorId,
      action: 'consent.record',
      target: id,
      detail: { providerId, cardId: c.cardId, cardApId: c.cardApId, purpose: c.purpose },
    },
    now,
  );
  return id;
}

/**
 * Service hours (サービス提供時間) for a card write at `ctx.now()`: open, or opened
 * by an administrator's override (the caller logs `overridden`); else refused.
 */
export async function checkHours(
  ctx: Ctx,
  s: Session,
  override: boolean,
  /** When given, an override is written to the audit log as `hours.override` for this operation. */
  logAs?: { readonly op: 'delete' | 'move_in'; readonly terminalId: string },
): Promise<{ overridden: boolean }> {
  if (override && !can(s, 'hours.override', { providerId: s.providerId })) {
    throw new LoaderError(
      'FORBIDDEN',
      {
        en: 'only an administrator may work outside service hours',
        ja: 'サービス提供時間外の操作は管理者のみ可能です',
      },
      403,
    );
  }
  const d = checkServiceHours(
    ctx.now(),
    override,
    await currentServiceHours(ctx.db, ctx.config.serviceHours),
  );
  if (d.overridden && logAs) {
    await writeTransaction(ctx.db, (tx) =>
      appendAudit(
        tx,
        {
          actor: s.operatorId,
          action: 'hours.override',
          detail: { providerId: s.providerId, op: logAs.op, terminalId: logAs.terminalId },
        },
        ctx.now(),
      ),
    );
  }
  return d;
}

/** The card a reservation is for, as read from it. */
export interface CardSeen {
  readonly cardId: CardId;
  /** The 市区町村コード read from the card's 共通カードAP (null when not read). */
  readonly municipality: string | null;
}

export interface ReserveOptions {
  /** A consent recorded before (`recordConsent`) instead of the plan's, given now. */
  readonly consentId?: ConsentId | undefined;
  /** 引継ぎ: the old card's instance this one carries on (store/carryOvers.ts). */
  readonly carriedFrom?: InstanceId | undefined;
  /** For tests of the collision retry only. */
  readonly random?: RandomSource;
}

/**
 * Saga step 1 (DB only), for a card AP the plan found loadable: the card's row
 * (where its holder lives decides the local area), the consent, then a `pending`
 * row with a fresh user ID, in one transaction. The plan's decisions are not made
 * again; the insert itself requires what they stood on — the card AP still
 * approved at the planned version, its provider still active — so a suspension
 * or a new version committed since the plan cannot slip through. Capacity, PIN
 * state and what the card already holds are checked against the card by the next
 * step.
 */
export async function reserveLoad(
  ctx: Ctx,
  plan: LoadPlan,
  item: ReservableCardAp,
  card: CardSeen,
  options: ReserveOptions = {},
): Promise<InstanceView> {
  const now = ctx.now();
  // A carry-over loads other providers' card APs: each under its own provider.
  const provider = item.owner ?? plan.provider;
  const carriedFrom = options.carriedFrom ?? item.carriedFrom;
  return writeTransaction(ctx.db, async (tx) => {
    const held = await upsertCard(tx, card.cardId, {
      supplied: plan.holderMunicipality,
      fromCard: card.municipality,
    });
    if (held.status !== 'active') {
      throw new LoaderError(
        'CARD_NOT_ACTIVE',
        { en: `the card is ${held.status}`, ja: `このカードは利用できません（${held.status}）` },
        409,
      );
    }
    const elig = areaEligibility(provider, item.area, held.municipalityCode);
    if (!elig.ok) throw elig.error;
    const consentId = options.consentId
      ? await checkConsent(tx, options.consentId, card.cardId, item.cardApId)
      : await consentRow(tx, now, plan.operatorId, provider.id, {
          cardId: card.cardId,
          cardApId: item.cardApId,
          purpose: 'load',
          method: plan.consent.method,
          note: plan.consent.note,
        });
    const id = newId<InstanceId>('in');
    let inserted: InstanceRow | undefined;
    for (let attempt = 1; ; attempt++) {
      const userId: UserId = newUserId(options.random ?? cryptoRandom);
      try {
        const ins = await tx.query<InstanceRow>(
          `INSERT INTO card_ap_instances (id, card_id, area, card_ap_id, version, aid, user_id, provider_id,
             terminal_id, state, step, consent_id, created_at, created_by, updated_at, batch_id, carried_from)
           SELECT $1::text, $2::text, $3::text, c.id, c.version, c.aid, $6::bytea, c.provider_id,
                  $7::text, 'pending', 'reserved', $8::text, $9::timestamptz, $10::text, $9::timestamptz, $11::text,
                  $12::text
             FROM card_aps c JOIN providers p ON p.id = c.provider_id
            WHERE c.id = $4 AND c.version = $5 AND c.status = 'approved' AND p.status = 'active'
           ON CONFLICT (user_id) DO NOTHING
           RETURNING *`,
          [
            id,
            card.cardId,
            item.area,
            item.cardApId,
            item.version.number,
            userId,
            plan.terminalId,
            consentId,
            now,
            plan.operatorId,
            plan.batchId ?? null,
            carriedFrom ?? null,
          ],
        );
        inserted = ins.rows[0];
        if (inserted) break;
      } catch (e) {
        if (uniqueViolation(e) === 'card_ap_instances_carried') {
          throw new LoaderError(
            'ALREADY_CARRIED_OVER',
            {
              en: 'this card AP of the old card is already carried over to a new card',
              ja: '旧カードのこのカードAPは既に新しいカードへ引き継がれています',
            },
            409,
          );
        }
        if (uniqueViolation(e) === 'card_ap_instances_live') {
          throw new LoaderError(
            'ALREADY_LOADED',
            {
              en: 'this card AP is already on the card (or being loaded or deleted)',
              ja: 'このカードAPは既に搭載済み（または処理中）です',
            },
            409,
          );
        }
        throw e;
      }
      // Nothing inserted: the plan's ground moved, or a user ID collision.
      await whyNotReservable(tx, plan, item, held.municipalityCode);
      // A user ID collision: draw again. Repeated collisions mean a broken RNG.
      if (attempt >= USER_ID_ATTEMPTS) {
        throw new LoaderError(
          'USER_ID_EXHAUSTED',
          { en: 'could not draw a unique user ID', ja: '一意な利用者IDを生成できませんでした' },
          409,
        );
      }
    }
    await appendAudit(
      tx,
      {
        actor: plan.operatorId,
        action: 'load.reserve',
        target: id,
        detail: {
          providerId: provider.id,
          cardId: card.cardId,
          cardApId: item.cardApId,
          area: item.area,
          terminalId: plan.terminalId,
          hoursOverride: plan.hoursOverridden,
        },
      },
      now,
    );
    return view(inserted);
  });
}

/** A consent recorded before: for this card and card AP, to load. */
async function checkConsent(
  tx: Queryable,
  consentId: ConsentId,
  cardId: CardId,
  cardApId: CardApId,
): Promise<ConsentId> {
  const consent = (
    await tx.query<{ card_id: string; card_ap_id: string; purpose: string }>(
      'SELECT card_id, card_ap_id, purpose FROM consents WHERE id = $1',
      [consentId],
    )
  ).rows[0];
  if (
    !consent ||
    consent.card_id !== cardId ||
    consent.card_ap_id !== cardApId ||
    consent.purpose !== 'load'
  ) {
    throw new LoaderError(
      'CONSENT_REQUIRED',
      {
        en: 'record the holder’s consent for this card and card AP first',
        ja: 'このカードとカードAPについて本人の希望（同意）を先に記録してください',
      },
      409,
    );
  }
  return consentId;
}

/**
 * When the guarded insert wrote nothing: throws what changed since the plan (the
 * card AP suspended or given a new version, the provider suspended), with the
 * error the plan would give now; returns when nothing did (a user ID collision).
 */
async function whyNotReservable(
  tx: Queryable,
  plan: LoadPlan,
  item: ReservableCardAp,
  municipality: string | null,
): Promise<void> {
  const ap = (
    await tx.query<{ status: CardApStatus; areas: AreaName[]; version: number | null }>(
      'SELECT status, areas, version FROM card_aps WHERE id = $1',
      [item.cardApId],
    )
  ).rows[0];
  if (!ap) throw notFound('card AP', item.cardApId);
  checkLoadable(ap.status, ap.areas, item.area);
  const providerId = (item.owner ?? plan.provider).id;
  const provider = await findProvider(tx, providerId);
  if (!provider) throw notFound('provider', providerId);
  const elig = areaEligibility(provider, item.area, municipality);
  if (!elig.ok) throw elig.error;
  if (Number(ap.version) !== item.version.number) {
    throw new LoaderError(
      'CARDAP_VERSION_CHANGED',
      {
        en: `version ${ap.version} of the card AP was approved while this load was being prepared (it planned ${item.version.number}): load again`,
        ja: `搭載の準備中にカードAPのバージョン ${ap.version} が承認されました（準備したのは ${item.version.number}）。もう一度搭載してください`,
      },
      409,
    );
  }
}

/** The instance row, locked for the state change about to be written. */
async function lockInstance(tx: Queryable, id: string): Promise<InstanceRow> {
  const row = (
    await tx.query<InstanceRow>('SELECT * FROM card_ap_instances WHERE id = $1 FOR UPDATE', [id])
  ).rows[0];
  if (!row) throw notFound('instance', id);
  return row;
}

/** Applies one saga event to an instance (with the step reached on the card). */
export async function settle(
  ctx: Ctx,
  actor: string,
  id: string,
  event: SagaEvent,
  step: string | null,
  error?: Record<string, unknown>,
): Promise<InstanceView> {
  const now = ctx.now();
  return writeTransaction(ctx.db, async (tx) => {
    const row = await lockInstance(tx, id);
    const next = transition(row.state, event);
    if (!next) {
      throw new LoaderError(
        'SAGA_BAD_EVENT',
        {
          en: `${event} does not apply to a ${row.state} instance`,
          ja: `状態「${row.state}」に「${event}」は適用できません`,
        },
        409,
      );
    }
    const updated = await tx.query<InstanceRow>(
      `UPDATE card_ap_instances SET state = $2, step = $3, updated_at = $4,
         loaded_at = CASE WHEN $2 = 'loaded' THEN $4 ELSE loaded_at END,
         deleted_at = CASE WHEN $2 = 'deleted' THEN $4 ELSE deleted_at END,
         error = $5::jsonb WHERE id = $1
       RETURNING *`,
      [id, next, step, now, error ? JSON.stringify(error) : null],
    );
    await appendAudit(
      tx,
      {
        actor,
        action: `instance.${event}`,
        target: id,
        detail: { providerId: row.provider_id, cardId: row.card_id, from: row.state, to: next },
      },
      now,
    );
    const after = updated.rows[0]!;
    // A carried-over instance that reaches the card is told with its old user ID.
    if (next === 'loaded' && after.carried_from) await noticeCarried(tx, after.id, now);
    return view(after);
  });
}

export async function listInstances(ctx: Ctx, s: Session, cardId: string): Promise<InstanceView[]> {
  authorize(s, 'cardap.read', s.role === 'platform' ? {} : { providerId: s.providerId });
  const r = await ctx.db.query<InstanceRow>(
    s.role === 'platform'
      ? 'SELECT * FROM card_ap_instances WHERE card_id = $1 ORDER BY created_at'
      : 'SELECT * FROM card_ap_instances WHERE card_id = $1 AND provider_id = $2 ORDER BY created_at',
    s.role === 'platform' ? [cardId] : [cardId, s.providerId],
  );
  return r.rows.map(view);
}

/** Instances of a card whose saga did not finish (for the next contact with the card). */
export async function unfinishedInstances(ctx: Ctx, cardId: string): Promise<InstanceView[]> {
  const r = await ctx.db.query<InstanceRow>(
    "SELECT * FROM card_ap_instances WHERE card_id = $1 AND state IN ('pending', 'deleting') ORDER BY created_at",
    [cardId],
  );
  return r.rows.map(view);
}

/**
 * Recovery, database half: the card half reports what the card holds for the
 * instance's AID (`onCard`); `reconcile` decides; this applies it and says what
 * the card half must still do (`resend_delete`, or a report for diagnose).
 */
export async function recoverInstance(
  ctx: Ctx,
  actor: string,
  id: string,
  onCard: OnCard,
): Promise<{ instance: InstanceView; action: Reconciliation['action'] }> {
  const row = (
    await ctx.db.query<InstanceRow>('SELECT * FROM card_ap_instances WHERE id = $1', [id])
  ).rows[0];
  if (!row) throw notFound('instance', id);
  const d = reconcile(row.state, onCard);
  if (d.state === row.state) return { instance: view(row), action: d.action };
  const event: SagaEvent =
    row.state === 'pending' ? (d.state === 'loaded' ? 'installed' : 'install_refused') : 'deleted';
  const instance = await settle(
    ctx,
    actor,
    id,
    event,
    `recovered:${onCard}`,
    d.action === 'none' ? undefined : { action: d.action },
  );
  return { instance, action: d.action };
}

/** Why a card AP instance is deleted (card_ap_instances.delete_reason). */
export type DeleteReason = 'holder_request' | 'move_in' | 'rollback' | 'retired';

/**
 * Delete, database half: `loaded → deleting` with who, why and (for a move-in)
 * which procedure, written before the DELETE goes to the card.
 */
export async function startDelete(
  ctx: Ctx,
  actor: string,
  id: InstanceId,
  reason: DeleteReason,
  moveInId: string | null = null,
  /** More writes that must commit with the state change (move-in notices). */
  also?: (tx: Queryable, row: InstanceView) => Promise<void>,
): Promise<InstanceView> {
  const now = ctx.now();
  return writeTransaction(ctx.db, async (tx) => {
    const row = await lockInstance(tx, id);
    if (transition(row.state, 'delete_started') === undefined) {
      throw new LoaderError(
        'SAGA_BAD_EVENT',
        {
          en: `a ${row.state} instance cannot be deleted`,
          ja: `状態「${row.state}」のカードAPは削除できません`,
        },
        409,
      );
    }
    await tx.query(
      `UPDATE card_ap_instances SET state = 'deleting', step = 'delete_started', updated_at = $2,
         delete_reason = $3, deleted_by = $4, move_in_id = $5 WHERE id = $1`,
      [id, now, reason, actor.startsWith('op_') ? actor : null, moveInId],
    );
    await appendAudit(
      tx,
      {
        actor,
        action: 'instance.delete_started',
        target: id,
        detail: {
          providerId: row.provider_id,
          cardId: row.card_id,
          from: row.state,
          to: 'deleting',
          reason,
          ...(moveInId ? { moveInId } : {}),
        },
      },
      now,
    );
    const updated = view(
      (await tx.query<InstanceRow>('SELECT * FROM card_ap_instances WHERE id = $1', [id])).rows[0]!,
    );
    if (also) await also(tx, updated);
    return updated;
  });
}

/** Live instances (pending, loaded, deleting) of a card, oldest first. */
export async function liveInstances(q: Queryable, cardId: CardId): Promise<InstanceView[]> {
  const r = await q.query<InstanceRow>(
    "SELECT * FROM card_ap_instances WHERE card_id = $1 AND state IN ('pending', 'loaded', 'deleting') ORDER BY created_at, id",
    [cardId],
  );
  return r.rows.map(view);
}

/** The columns of a card AP and one of its versions that fix an INSTALL. */
export interface VersionRow {
  type: ApprovedVersion['type'];
  aid: Uint8Array;
  provider_id: string;
  size: number;
  access: ApprovedVersion['access'];
  spec: { initialData?: string };
}

export function versionFromRow(r: VersionRow): ApprovedVersion {
  return {
    type: r.type,
    aid: r.aid,
    providerId: r.provider_id,
    size: Number(r.size),
    access: r.access,
    initialData: r.spec.initialData ? fromHex(r.spec.initialData) : undefined,
  };
}

/** What the card AP's approved `version` fixes for an INSTALL. */
export async function approvedVersion(
  q: Queryable,
  cardApId: CardApId,
  version: number,
): Promise<ApprovedVersion> {
  const r = (
    await q.query<VersionRow>(
      `SELECT c.type, c.aid, c.provider_id, v.size, v.access, v.spec
         FROM card_aps c JOIN card_ap_versions v ON v.card_ap_id = c.id
        WHERE c.id = $1 AND v.version = $2`,
      [cardApId, version],
    )
  ).rows[0];
  if (!r) throw notFound('card AP version', `${cardApId}@${version}`);
  return versionFromRow(r);
}
