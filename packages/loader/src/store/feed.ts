/**
 * カード一時停止等のステータスのオンライン提供 (seeds/002 III-1 (5)): the holder
 * reports a lost card to the call center, the platform records the new status
 * here, and the business systems of the providers whose card APs are on that
 * card learn it — as "changes since seq n" (`readFeed`), as the daily list the
 * seeds describe (1日1回連携, `dailyFeed`, JSON or CSV), and as notices.
 *
 * Ordering: inserting into `card_status_events` or `provider_notices` locks
 * `feed_order` (held to commit) and only then draws the row's seq (the trigger of
 * migration 012), and the writers here take that lock before their snapshot
 * (`writeTransaction(…, { feed: true })`). So seq order is commit order, and a
 * reader that asks for "seq > n" after having seen n can never miss a row that
 * commits later with a smaller seq. Other writers (loads…) do not queue there.
 *
 * Scope (least privilege): a provider sees a status event only if it was sent
 * a `card_status` notice for it, i.e. one of its own card APs, or one it uses as
 * a joint user or partner store, was live (pending, loaded, deleting) on the card
 * when the status changed. Decided in the writing transaction, under the lock,
 * from the rows themselves: no clock comparison, nothing about other cards.
 */
import { appendAudit, writeTransaction } from './audit.ts';
import type { Queryable } from '@myna-ap/db';
import { LoaderError } from '../errors.ts';
import type { CardId } from '../domain/ids.ts';
import { checkStatusChange, type CardStatus, type StatusSource } from '../domain/cardStatus.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { hexUpper, iso } from './rows.ts';
import { MAX_PAGE, isCalendarDate } from '../contract/schemas.ts';

export { MAX_PAGE, isCalendarDate };

/** A card AP instance a status event concerns, as the provider's business system knows it. */
export interface FeedCardAp {
  readonly instanceId: string;
  readonly cardApId: string;
  readonly aid: string;
  /** 利用者ID (upper-case hex): the key the business system holds. */
  readonly userId: string;
}

export interface StatusEvent {
  readonly seq: number;
  readonly cardId: string;
  readonly status: CardStatus;
  readonly previous: CardStatus;
  readonly source: StatusSource;
  readonly at: string;
  /** For a provider: its card APs on the card when the status changed. Absent for the platform. */
  readonly cardAps?: readonly FeedCardAp[];
}

export interface StatusChangeRequest {
  readonly status: CardStatus;
  readonly source: StatusSource;
  /** The report's reference (e.g. the call center's case number); kept in the audit log only. */
  readonly note?: string | undefined;
}

export interface StatusChange {
  readonly cardId: string;
  readonly status: CardStatus;
  readonly previous: CardStatus;
  readonly source: StatusSource;
  readonly seq: number;
  readonly at: string;
  /** Providers told (a `card_status` notice each per card AP instance), sorted. */
  readonly notified: readonly string[];
}

/** Most rows one page of the feed or the notices may hold. */

/**
 * Records a status change of a card (platform operators: the call center's
 * report, a JPKI revocation, the issuer's word). Creates the card row when the
 * card was never met, so a card reported lost before its first visit to a
 * counter is refused there too. One transaction: the card, the event, a notice
 * for each provider concerned, the audit row.
 */
export async function setCardStatus(
  ctx: Ctx,
  s: Session,
  cardId: CardId,
  req: StatusChangeRequest,
): Promise<StatusChange> {
  authorize(s, 'card.status');
  return writeTransaction(
    ctx.db,
    async (tx) => {
      // Taken inside the feed's lock (and again on a retry): on one clock, `at` follows seq order.
      const now = ctx.now();
      const from = await lockCardStatus(tx, cardId);
      checkStatusChange(from, req.status, req.source);
      return recordStatusChange(tx, s.operatorId, cardId, from, req, now);
    },
    { feed: true },
  );
}

/**
 * The card's status, its row locked for the transaction (made `active` when the
 * card was never met, so a card reported lost before its first visit to a
 * counter is refused there too).
 */
export async function lockCardStatus(tx: Queryable, cardId: CardId): Promise<CardStatus> {
  await tx.query('INSERT INTO cards (card_id) VALUES ($1) ON CONFLICT (card_id) DO NOTHING', [
    cardId,
  ]);
  return (
    await tx.query<{ status: CardStatus }>(
      'SELECT status FROM cards WHERE card_id = $1 FOR UPDATE',
      [cardId],
    )
  ).rows[0]!.status;
}

/** A live card AP instance on a card and a provider to tell about it. */
export interface LiveHolder {
  readonly id: string;
  readonly card_ap_id: string;
  readonly aid: Uint8Array;
  readonly user_id: Uint8Array;
  readonly told: string;
}

/**
 * Every live instance (pending, loaded, deleting) on the card, once for its owner
 * and once for each joint user / partner store: whom a change of the card concerns.
 */
export async function liveHolders(tx: Queryable, cardId: CardId): Promise<LiveHolder[]> {
  return (
    await tx.query<LiveHolder>(
      `SELECT i.id, i.card_ap_id, i.aid, i.user_id, p.told
         FROM card_ap_instances i
         CROSS JOIN LATERAL (
           SELECT i.provider_id AS told
           UNION SELECT u.provider_id FROM card_ap_users u WHERE u.card_ap_id = i.card_ap_id
         ) p
        WHERE i.card_id = $1 AND i.state IN ('pending', 'loaded', 'deleting')
        ORDER BY p.told, i.created_at, i.id`,
      [cardId],
    )
  ).rows;
}

/**
 * Writes a status change already checked (`checkStatusChange`) inside the
 * caller's write transaction: the card, the event, a notice for each provider
 * concerned, the audit row (by `actor`: an operator id or `system`).
 */
export async function recordStatusChange(
  tx: Queryable,
  actor: string,
  cardId: CardId,
  from: CardStatus,
  req: StatusChangeRequest,
  now: Date,
): Promise<StatusChange> {
  await tx.query('UPDATE cards SET status = $2, status_changed_at = $3 WHERE card_id = $1', [
    cardId,
    req.status,
    now,
  ]);
  const seq = Number(
    (
      await tx.query<{ seq: number }>(
        `INSERT INTO card_status_events (card_id, status, source, at) VALUES ($1, $2, $3, $4)
         RETURNING seq`,
        [cardId, req.status, req.source, now],
      )
    ).rows[0]!.seq,
  );
  const told = { rows: await liveHolders(tx, cardId) };
  for (const r of told.rows) {
    await tx.query(
      `INSERT INTO provider_notices (provider_id, kind, card_id, instance_id, detail, created_at)
       VALUES ($1, 'card_status', $2, $3, $4::jsonb, $5)`,
      [
        r.told,
        cardId,
        r.id,
        JSON.stringify({
          eventSeq: seq,
          status: req.status,
          previous: from,
          source: req.source,
          cardApId: r.card_ap_id,
          aid: hexUpper(r.aid),
          userId: hexUpper(r.user_id),
        }),
        now,
      ],
    );
  }
  const notified = [...new Set(told.rows.map((r) => r.told))].sort();
  await appendAudit(
    tx,
    {
      actor,
      action: 'card.status',
      target: cardId,
      detail: {
        cardId,
        from,
        to: req.status,
        source: req.source,
        eventSeq: seq,
        notified,
        ...(req.note === undefined ? {} : { note: req.note }),
      },
    },
    now,
  );
  return {
    cardId,
    status: req.status,
    previous: from,
    source: req.source,
    seq,
    at: now.toISOString(),
    notified,
  };
}

function scopeOf(s: Session): string | null {
  authorize(s, 'feed.read', s.role === 'platform' ? {} : { providerId: s.providerId });
  return s.role === 'platform' ? null : s.providerId;
}

interface EventRow {
  seq: number;
  card_id: string;
  status: CardStatus;
  source: StatusSource;
  at: Date;
  previous: CardStatus | null;
  card_aps?: FeedCardAp[] | null;
}

/** The status the card had before event `e.seq` (cards start `active`). */
const PREVIOUS = `COALESCE((SELECT p.status FROM card_status_events p
     WHERE p.card_id = e.card_id AND p.seq < e.seq ORDER BY p.seq DESC LIMIT 1), 'active') AS previous`;

/** A provider's notices of kind card_status, joined to their events (the provider's scope). */
const SCOPED = `FROM provider_notices n
  JOIN card_status_events e ON e.seq = (n.detail->>'eventSeq')::bigint
 WHERE n.provider_id = $1 AND n.kind = 'card_status'`;

const CARD_AP_JSON = `jsonb_build_object('instanceId', n.instance_id, 'cardApId', n.detail->>'cardApId',
  'aid', n.detail->>'aid', 'userId', n.detail->>'userId')`;

function eventView(r: EventRow): StatusEvent {
  return {
    seq: Number(r.seq),
    cardId: r.card_id,
    status: r.status,
    previous: r.previous ?? 'active',
    source: r.source,
    at: iso(r.at) ?? '',
    ...(r.card_aps ? { cardAps: r.card_aps } : {}),
  };
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Ask with this next time (`since` / `after`): the last seq returned, or the one asked with. */
  readonly next: number;
}

/**
 * "Changes since": status events with seq > `since`, oldest first, at most
 * `limit`. Providers get only their scope, each event with the user IDs of their
 * card APs on that card; the platform gets every event.
 */
export async function readFeed(
  ctx: Ctx,
  s: Session,
  since: number,
  limit: number,
): Promise<Page<StatusEvent>> {
  const scope = scopeOf(s);
  const n = Math.min(Math.max(limit, 1), MAX_PAGE);
  const r =
    scope === null
      ? await ctx.db.query<EventRow>(
          `SELECT e.seq, e.card_id, e.status, e.source, e.at, ${PREVIOUS}
             FROM card_status_events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
          [since, n],
        )
      : await ctx.db.query<EventRow>(
          `SELECT e.seq, e.card_id, e.status, e.source, e.at, ${PREVIOUS},
                  jsonb_agg(${CARD_AP_JSON} ORDER BY n.seq) AS card_aps
             ${SCOPED} AND (n.detail->>'eventSeq')::bigint > $2
            GROUP BY e.seq ORDER BY e.seq LIMIT $3`,
          [scope, since, n],
        );
  const items = r.rows.map(eventView);
  return { items, next: items.length > 0 ? items[items.length - 1]!.seq : since };
}

/** One card of the daily list: where it ended the day. */
export interface DailyCard {
  readonly cardId: string;
  readonly status: CardStatus;
  readonly source: StatusSource;
  /** When its last change of the day was recorded. */
  readonly changedAt: string;
  /** The seq of that change (the feed's seq). */
  readonly seq: number;
  /** Changes that day (lost and found the same day is 2). */
  readonly changes: number;
  readonly cardAps?: readonly FeedCardAp[];
}

export interface DailyList {
  /** The day, Japan time. */
  readonly date: string;
  readonly from: string;
  readonly to: string;
  /** False while the day is still running: the list may still grow. */
  readonly complete: boolean;
  readonly cards: readonly DailyCard[];
}

const DAY_MS = 86_400_000;

/**
 * 1日1回連携: every card in scope whose status changed on `date` (Japan time,
 * 00:00–24:00 JST; Japan has no daylight saving), with the status it ended the
 * day in.
 */
export async function dailyFeed(ctx: Ctx, s: Session, date: string): Promise<DailyList> {
  const scope = scopeOf(s);
  if (!isCalendarDate(date)) {
    throw new LoaderError('BAD_DATE', {
      en: `${date} is not a date (YYYY-MM-DD)`,
      ja: `${date} は日付（YYYY-MM-DD）ではありません`,
    });
  }
  const from = new Date(`${date}T00:00:00+09:00`);
  const to = new Date(from.getTime() + DAY_MS);
  const r =
    scope === null
      ? await ctx.db.query<EventRow>(
          `SELECT e.seq, e.card_id, e.status, e.source, e.at, NULL AS previous
             FROM card_status_events e WHERE e.at >= $1 AND e.at < $2 ORDER BY e.seq`,
          [from, to],
        )
      : await ctx.db.query<EventRow>(
          `SELECT e.seq, e.card_id, e.status, e.source, e.at, NULL AS previous,
                  jsonb_agg(${CARD_AP_JSON} ORDER BY n.seq) AS card_aps
             ${SCOPED} AND e.at >= $2 AND e.at < $3
            GROUP BY e.seq ORDER BY e.seq`,
          [scope, from, to],
        );
  const byCard = new Map<
    string,
    { last: StatusEvent; changes: number; aps: Map<string, FeedCardAp> }
  >();
  for (const e of r.rows.map(eventView)) {
    const c = byCard.get(e.cardId) ?? { last: e, changes: 0, aps: new Map() };
    c.last = e;
    c.changes++;
    for (const a of e.cardAps ?? []) c.aps.set(a.instanceId, a);
    byCard.set(e.cardId, c);
  }
  const cards: DailyCard[] = [...byCard.values()]
    .sort((a, b) => a.last.seq - b.last.seq)
    .map(({ last, changes, aps }) => ({
      cardId: last.cardId,
      status: last.status,
      source: last.source,
      changedAt: last.at,
      seq: last.seq,
      changes,
      ...(scope === null ? {} : { cardAps: [...aps.values()] }),
    }));
  return {
    date,
    from: from.toISOString(),
    to: to.toISOString(),
    complete: to.getTime() <= ctx.now().getTime(),
    cards,
  };
}

/** RFC 4180 field: quoted when it holds a quote, comma, CR or LF; quotes doubled. */
export function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const DAILY_CSV_HEADER = [
  'card_id',
  'status',
  'source',
  'changed_at',
  'seq',
  'changes',
  'card_ap_id',
  'aid',
  'user_id',
] as const;

/**
 * The daily list as CSV for closed-network batch jobs: UTF-8 without BOM, a
 * header row, CRLF line ends (RFC 4180). One line per card and card AP (the user
 * ID is what a business system matches on); the platform's list has one line
 * per card with the card AP columns empty.
 */
export function dailyCsv(list: DailyList): string {
  const lines = [DAILY_CSV_HEADER.join(',')];
  for (const c of list.cards) {
    const head = [c.cardId, c.status, c.source, c.changedAt, c.seq, c.changes];
    const aps = c.cardAps && c.cardAps.length > 0 ? c.cardAps : [undefined];
    for (const a of aps) {
      lines.push([...head, a?.cardApId, a?.aid, a?.userId].map(csvField).join(','));
    }
  }
  return lines.join('\r\n') + '\r\n';
}

export interface Notice {
  readonly seq: number;
  readonly providerId: string;
  readonly kind: 'move_in_removed' | 'card_status' | 'card_info_change';
  readonly cardId: string;
  readonly instanceId: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/**
 * A provider's notices (card APs removed on a move-in, status changes of cards
 * holding its card APs) with seq > `after`; own provider only, all for the platform.
 */
export async function listNotices(
  ctx: Ctx,
  s: Session,
  after: number,
  limit: number,
): Promise<Page<Notice>> {
  const scope = scopeOf(s);
  const n = Math.min(Math.max(limit, 1), MAX_PAGE);
  const r = await ctx.db.query<{
    seq: number;
    provider_id: string;
    kind: Notice['kind'];
    card_id: string;
    instance_id: string | null;
    detail: Record<string, unknown>;
    created_at: Date;
  }>(
    scope === null
      ? 'SELECT * FROM provider_notices WHERE seq > $1 ORDER BY seq LIMIT $2'
      : 'SELECT * FROM provider_notices WHERE provider_id = $3 AND seq > $1 ORDER BY seq LIMIT $2',
    scope === null ? [after, n] : [after, n, scope],
  );
  const items = r.rows.map((x) => ({
    seq: Number(x.seq),
    providerId: x.provider_id,
    kind: x.kind,
    cardId: x.card_id,
    instanceId: x.instance_id,
    detail: x.detail,
    createdAt: iso(x.created_at) ?? '',
  }));
  return { items, next: items.length > 0 ? items[items.length - 1]!.seq : after };
}
