/**
 * Routes of the status feed (カード一時停止等のステータスのオンライン提供): the
 * platform records a card's status; business systems read "changes since", the
 * daily list (JSON or CSV) and their provider's notices.
 */
import { route, ok, type Route } from './route.ts';
import type { CardId } from '../domain/ids.ts';
import { dailyCsv, dailyFeed, listNotices, readFeed, setCardStatus } from '../store/feed.ts';

export const feedRoutes: readonly Route[] = [
  route('setCardStatus', async (ctx, { session, params, body }) => {
    return ok(
      await setCardStatus(ctx, session, params.cardId as CardId, {
        status: body.status,
        source: body.source,
        note: body.note,
      }),
    );
  }),
  route('feed', async (ctx, { session, query }) => {
    const page = await readFeed(ctx, session, query.since ?? 0, query.limit ?? 1000);
    return ok({ events: page.items, next: page.next });
  }),
  route('dailyFeed', async (ctx, { session, query }) => {
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
  }),
  route('notices', async (ctx, { session, query }) => {
    const page = await listNotices(ctx, session, query.after ?? 0, query.limit ?? 1000);
    return ok({ notices: page.items, next: page.next });
  }),
];
