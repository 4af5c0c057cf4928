/**
 * Routes of the status feed (カード一時停止等のステータスのオンライン提供): the
 * platform records a card's status; business systems read "changes since", the
 * daily list (JSON or CSV) and their provider's notices.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { route, ok, type Route } from './route.ts';
import { LoaderError } from '../errors.ts';
import type { Ctx, FeedSigner } from '../store/context.ts';
import type { CardId } from '../domain/ids.ts';
import { dailyCsv, dailyFeed, listNotices, readFeed, setCardStatus } from '../store/feed.ts';
import { recordPinReset } from '../store/pinResets.ts';
import { recordInfoChange } from '../store/infoChanges.ts';
import type { TerminalId } from '../domain/ids.ts';

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
  // The counter's PIN reset, for the audit log (store/pinResets.ts): beside the card's status.
  route('recordPinReset', async (ctx, { session, params, body }) =>
    ok(
      await recordPinReset(ctx, session, params.cardId as CardId, {
        ...body,
        terminalId: body.terminalId as TerminalId,
      }),
    ),
  ),
  // 記載事項変更 done at the counter: the providers with card APs on the card are told.
  route('recordInfoChange', async (ctx, { session, params, body }) =>
    ok(
      await recordInfoChange(ctx, session, params.cardId as CardId, {
        ...body,
        terminalId: body.terminalId as TerminalId,
      }),
    ),
  ),
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
  route('dailyFeedSigned', async (ctx, { session, query }) => {
    const signer = await feedSigner(ctx);
    const list = await dailyFeed(ctx, session, query.date);
    const format = query.format ?? 'json';
    const content = Buffer.from(
      format === 'csv' ? dailyCsv(list) : JSON.stringify(list, null, 2) + '\n',
      'utf8',
    );
    const at = ctx.now();
    const signature = await signer.sign(content, at);
    return ok({
      date: list.date,
      format,
      fileName: `card-status-${list.date}${session.providerId ? `-${session.providerId}` : ''}.${format}`,
      content: content.toString('base64'),
      signature: Buffer.from(signature).toString('base64'),
      signedAt: at.toISOString(),
      complete: list.complete,
    });
  }),
  route('feedCertificate', async (ctx) => {
    const { certificate } = await feedSigner(ctx);
    const cert = new X509Certificate(certificate);
    return ok({
      certificate: cert.toString(),
      sha256: createHash('sha256').update(certificate).digest('hex'),
      subject: cert.subject.split('\n').join(', '), // node gives one RDN a line
      notAfter: new Date(cert.validTo).toISOString(),
    });
  }),
  route('notices', async (ctx, { session, query }) => {
    const page = await listNotices(ctx, session, query.after ?? 0, query.limit ?? 1000);
    return ok({ notices: page.items, next: page.next });
  }),
];

async function feedSigner(ctx: Ctx): Promise<FeedSigner> {
  if (!ctx.feedSigner) {
    throw new LoaderError('FEED_NOT_SIGNED', {
      en: 'this server was started without a signer for the daily lists',
      ja: 'このサーバは日次一覧の署名鍵なしで起動されています',
    });
  }
  return ctx.feedSigner();
}
