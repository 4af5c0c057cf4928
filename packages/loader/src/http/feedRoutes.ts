/**
 * Routes of the status feed (カード一時停止等のステータスのオンライン提供): the
 * platform records a card's status; business systems read "changes since", the
 * daily list (JSON or CSV) and their provider's notices.
 */
import { z } from 'zod';
import { route, type Route } from './route.ts';
import type { CardId } from '../domain/ids.ts';
import { CARD_STATUSES, STATUS_SOURCES } from '../domain/cardStatus.ts';
import {
  MAX_PAGE,
  dailyCsv,
  dailyFeed,
  isCalendarDate,
  listNotices,
  readFeed,
  setCardStatus,
} from '../store/feed.ts';

const ok = (body: unknown, status = 200) => ({ status, body });

/** A seq to read after: a whole number ≥ 0 (0: from the start). */
const seqString = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'a whole number ≥ 0')
  .transform(Number)
  .pipe(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));

const limitString = z
  .string()
  .regex(/^[0-9]{1,6}$/, `a whole number 1–${MAX_PAGE}`)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAGE));

/**
 * The card serial (カード識別番号) as the card gives it: 8 to 32 bytes in hex. Stored
 * upper-case, as the loader names cards it reads, so a serial typed in lower case
 * still reaches the card's row.
 */
const serialParams = z
  .object({
    cardId: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}){8,32}$/, 'the card serial in hex (16–64 digits)')
      .transform((s) => s.toUpperCase()),
  })
  .strict();

export const cardStatusBody = z
  .object({
    status: z.enum(CARD_STATUSES as [string, ...string[]]),
    source: z.enum(STATUS_SOURCES as [string, ...string[]]),
    note: z.string().min(1).max(500).optional(),
  })
  .strict();

const cardApRef = z.object({
  instanceId: z.string(),
  cardApId: z.string(),
  aid: z.string(),
  userId: z.string(),
});

const statusEvent = z.object({
  seq: z.number(),
  cardId: z.string(),
  status: z.enum(CARD_STATUSES as [string, ...string[]]),
  previous: z.enum(CARD_STATUSES as [string, ...string[]]),
  source: z.enum(STATUS_SOURCES as [string, ...string[]]),
  at: z.string(),
  cardAps: z.array(cardApRef).optional(),
});

export const feedRoutes: readonly Route[] = [
  route({
    method: 'POST',
    path: '/v1/cards/:cardId/status',
    summary:
      'Record a card’s status (lost, suspended, revoked, active again) from the call center, a JPKI revocation, the issuer or a platform operator; the providers concerned are notified (platform)',
    tag: 'status feed',
    auth: true,
    params: serialParams,
    body: cardStatusBody,
    response: z.object({
      cardId: z.string(),
      status: z.string(),
      previous: z.string(),
      source: z.string(),
      seq: z.number(),
      at: z.string(),
      notified: z.array(z.string()),
    }),
    async handler(ctx, { session, params, body }) {
      return ok(
        await setCardStatus(ctx, session, params.cardId as CardId, {
          status: body.status as never,
          source: body.source as never,
          note: body.note,
        }),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/v1/feed',
    summary:
      'Card status changes since seq `since` (default 0), oldest first; ask again with `next`. Providers: cards that held their card APs, with the user IDs',
    tag: 'status feed',
    auth: true,
    query: z.object({ since: seqString.optional(), limit: limitString.optional() }).strict(),
    response: z.object({ events: z.array(statusEvent), next: z.number() }),
    async handler(ctx, { session, query }) {
      const page = await readFeed(ctx, session, query.since ?? 0, query.limit ?? 1000);
      return ok({ events: page.items, next: page.next });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/feed/daily',
    summary:
      'The daily list (1日1回連携): every card in scope whose status changed on `date` (Japan time), as JSON or, with format=csv, as RFC 4180 CSV',
    tag: 'status feed',
    auth: true,
    query: z
      .object({
        date: z.string().refine(isCalendarDate, 'a calendar date YYYY-MM-DD'),
        format: z.enum(['json', 'csv']).optional(),
      })
      .strict(),
    async handler(ctx, { session, query }) {
      const list = await dailyFeed(ctx, session, query.date);
      if (query.format !== 'csv') return ok(list);
      return {
        status: 200,
        body: dailyCsv(list),
        headers: {
          'content-type': 'text/csv; charset=utf-8; header=present',
          'content-disposition': `attachment; filename="card-status-${list.date}.csv"`,
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/notices',
    summary:
      'Your provider’s notices after seq `after`: card APs removed on a move-in (move_in_removed), status changes of cards holding them (card_status); ask again with `next`',
    tag: 'status feed',
    auth: true,
    query: z.object({ after: seqString.optional(), limit: limitString.optional() }).strict(),
    async handler(ctx, { session, query }) {
      const page = await listNotices(ctx, session, query.after ?? 0, query.limit ?? 1000);
      return ok({ notices: page.items, next: page.next });
    },
  }),
];
