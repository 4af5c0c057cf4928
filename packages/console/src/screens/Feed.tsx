/**
 * The status feed and notices (失効情報・お知らせ): cards holding the provider's
 * card APs whose status changed (lost, suspended, revoked, active again: the
 * provider stops the service), and the provider's notices (a card AP removed on
 * a move-in, a card's status change). Newest first; the API pages by sequence.
 */
import { useEffect, useState } from 'react';
import { asApiError, get, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { CardAp, Me, NoticeView, StatusEventView } from '../types.ts';
import { ErrorBox, jst, ListTable } from '../ui.tsx';
import { useList } from './useList.ts';

const PAGE = 1000;

/** Follows `next` until a short page (a provider's feed is small; 20 pages at most). */
async function readPages<T>(
  path: (after: number) => string,
  items: (page: { next: number }) => T[],
): Promise<T[]> {
  const all: T[] = [];
  let after = 0;
  for (let i = 0; i < 20; i++) {
    const page = await get<{ next: number }>(path(after));
    const got = items(page);
    all.push(...got);
    if (got.length < PAGE || page.next === after) break;
    after = page.next;
  }
  return all.reverse();
}

export function Feed({ me }: { me: Me }) {
  const { t, lang } = useLang();
  const [events, setEvents] = useState<StatusEventView[]>();
  const [notices, setNotices] = useState<NoticeView[]>();
  const [error, setError] = useState<ApiError>();
  const aps = useList<CardAp>('/v1/card-aps');
  const apName = (id: unknown) =>
    aps.rows?.find((a) => a.id === id)?.name ?? (typeof id === 'string' ? id : '—');
  /** A notice's detail in words: which card AP, what happened, the holder's user ID. */
  const noticeText = (n: NoticeView): string => {
    const d = n.detail as Record<string, string | undefined>;
    const what =
      n.kind === 'card_status'
        ? t('feed.statusChange', {
            from: t(`cardStatus.${d.previous ?? 'active'}`),
            to: t(`cardStatus.${d.status ?? 'active'}`),
            source: d.source ? t(`source.${d.source}`) : '—',
          })
        : t('feed.moveIn', { from: d.from ?? '—', to: d.to ?? '—' });
    return `${apName(d.cardApId)}${t('colon')}${what}${t('sep')}${t('counter.userId')} ${d.userId ?? '—'}`;
  };
  useEffect(() => {
    const fail = (e: unknown) => setError(asApiError(e));
    readPages<StatusEventView>(
      (a) => `/v1/feed?since=${a}&limit=${PAGE}`,
      (p) => (p as unknown as { events: StatusEventView[] }).events,
    ).then(setEvents, fail);
    if (me.providerId !== null)
      readPages<NoticeView>(
        (a) => `/v1/notices?after=${a}&limit=${PAGE}`,
        (p) => (p as unknown as { notices: NoticeView[] }).notices,
      ).then(setNotices, fail);
    else setNotices([]);
  }, [me.providerId]);

  return (
    <section aria-labelledby="feed-h">
      <h2 id="feed-h">{t('feed.title')}</h2>
      <p>{t('feed.lead')}</p>
      <ErrorBox error={error} />
      <h3>{t('feed.events')}</h3>
      <ListTable
        label={t('feed.events')}
        rows={events}
        rowKey={(e) => e.seq}
        columns={[
          { head: t('audit.at'), cell: (e) => jst(e.at, lang) },
          { head: t('counter.serial'), cell: (e) => e.cardId, className: 'mono' },
          {
            head: t('feed.status'),
            className: 'nowrap',
            cell: (e) => (
              <>
                {t(`cardStatus.${e.previous}`)} → <strong>{t(`cardStatus.${e.status}`)}</strong>
              </>
            ),
          },
          { head: t('feed.source'), cell: (e) => t(`source.${e.source}`) },
          {
            head: t('feed.cardAps'),
            // Names only: the user IDs are in the notices below.
            cell: (e) => (e.cardAps ?? []).map((a) => apName(a.cardApId)).join(t('sep')) || '—',
          },
        ]}
      />
      {me.providerId !== null && (
        <>
          <h3>{t('feed.notices')}</h3>
          <ListTable
            label={t('feed.notices')}
            rows={notices}
            rowKey={(n) => n.seq}
            columns={[
              { head: t('audit.at'), cell: (n) => jst(n.createdAt, lang) },
              { head: t('feed.kind'), cell: (n) => t(`notice.${n.kind}`) },
              { head: t('counter.serial'), cell: (n) => n.cardId, className: 'mono' },
              { head: t('feed.detail'), cell: noticeText },
            ]}
          />
        </>
      )}
    </section>
  );
}
