/**
 * Service hours (サービス提供時間): when loading is open, in Japan time, and the
 * closed days (年末年始…). Every operator sees them and whether the counter is
 * open now; the platform changes them.
 */
import { useEffect, useState } from 'react';
import { asApiError, get, post, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Me, ServiceHours, ServiceHoursNow } from '../types.ts';
import { AddForm, Busy, ErrorBox } from '../ui.tsx';
import { closedFromText, closedToText } from '../closedDays.ts';

export function Hours({ me }: { me: Me }) {
  const { t, lang } = useLang();
  const [hours, setHours] = useState<ServiceHours>();
  const [now, setNow] = useState<ServiceHoursNow>();
  const [error, setError] = useState<ApiError>();
  const [open, setOpen] = useState('');
  const [close, setClose] = useState('');
  const [closed, setClosed] = useState('');

  function load() {
    Promise.all([
      get<ServiceHours>('/v1/settings/service-hours'),
      get<ServiceHoursNow>('/v1/service-hours'),
    ]).then(
      ([h, n]) => {
        setHours(h);
        setNow(n);
        setOpen(h.open);
        setClose(h.close);
        setClosed(closedToText(h.closed, ', '));
      },
      (e) => setError(asApiError(e)),
    );
  }
  useEffect(load, []);

  async function save() {
    const h = await post<ServiceHours>('/v1/settings/service-hours', {
      open,
      close,
      closed: closedFromText(closed),
    });
    setHours(h);
    load();
  }

  return (
    <section aria-labelledby="hours-h">
      <h2 id="hours-h">{t('hours.title')}</h2>
      <ErrorBox error={error} />
      {!hours && !error && <Busy text={t('busy')} />}
      {hours && now && (
        <div className="panel">
          <p className={`big ${now.open ? 'good' : 'bad'}`} role="status">
            {now.open ? t('hours.openNow') : t(`hours.${now.reason}`)}
          </p>
          <dl className="facts">
            <dt>{t('hours.hours')}</dt>
            <dd>{t('hours.range', { open: hours.open, close: hours.close })}</dd>
            <dt>{t('hours.closed')}</dt>
            <dd>{closedToText(hours.closed, t('sep')) || t('none')}</dd>
          </dl>
          <p className="help">{t('hours.jst', { lang })}</p>
        </div>
      )}
      {me.role === 'platform' && hours && (
        <AddForm
          title={t('hours.change')}
          submit={t('hours.save')}
          done={t('hours.saved')}
          onSubmit={save}
        >
          <label>
            {t('hours.open')}
            <input
              required
              pattern="[0-9]{1,2}:[0-9]{2}"
              value={open}
              onChange={(e) => setOpen(e.target.value)}
            />
          </label>
          <label>
            {t('hours.close')}
            <input
              required
              pattern="[0-9]{1,2}:[0-9]{2}"
              value={close}
              onChange={(e) => setClose(e.target.value)}
            />
          </label>
          <label>
            {t('hours.closedEdit')}
            <input
              aria-describedby="closed-help"
              value={closed}
              onChange={(e) => setClosed(e.target.value)}
            />
          </label>
          <p id="closed-help" className="help">
            {t('hours.closedHelp')}
          </p>
        </AddForm>
      )}
    </section>
  );
}
