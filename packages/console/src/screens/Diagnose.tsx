/** Fault isolation (カード障害切り分け): what is wrong with the card and what to do next. */
import { useState } from 'react';
import { useLang } from '../i18n.ts';
import type { DiagnoseReport, Me } from '../types.ts';
import { AreaBar, ResultPanel, useCardJob } from '../ui.tsx';

export function Diagnose({ me }: { me: Me }) {
  const { t, say } = useLang();
  const [terminal, setTerminal] = useState(me.terminals[0] ?? '');
  const job = useCardJob<DiagnoseReport>();
  const report = job.result;
  const start = () => void job.run(terminal, { op: 'diagnose' });

  return (
    <section aria-labelledby="diag-h">
      <h2 id="diag-h">{t('diagnose.title')}</h2>
      <div className="panel">
        <p>{t('diagnose.lead')}</p>
        {me.terminals.length === 0 ? (
          <p>{t('counter.noTerminal')}</p>
        ) : (
          <>
            <label>
              {t('counter.terminal')}
              <select value={terminal} onChange={(e) => setTerminal(e.target.value)}>
                {me.terminals.map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="primary"
              disabled={job.progress !== undefined}
              onClick={start}
            >
              {t('diagnose.start')}
            </button>
          </>
        )}
        <ResultPanel job={job} busy="counter.reading" />
      </div>
      {report && (
        <div className="panel">
          <h3>{t('diagnose.advice')}</h3>
          <ul className="advice">
            {report.advice.map((a, i) => (
              <li key={i}>{say(a)}</li>
            ))}
          </ul>
          {report.findings.length > 0 && (
            <>
              <h3>{t('diagnose.findings')}</h3>
              <ul className="findings">
                {report.findings.map((f, i) => (
                  <li key={i} className={`level-${f.level}`}>
                    {say(f.text)} <code>{f.code}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>{t('counter.card')}</h3>
          <dl className="facts">
            <dt>{t('counter.serial')}</dt>
            <dd className="mono">{report.cardId ?? t('counter.unreadable')}</dd>
            <dt>{t('counter.municipality')}</dt>
            <dd className="mono">{report.municipalityCode ?? '—'}</dd>
            <dt>{t('counter.expiry')}</dt>
            <dd>{report.expiry ?? '—'}</dd>
            <dt>{t('diagnose.certificate')}</dt>
            <dd>
              {t(`diagnose.cert.${report.certificate.status}`, {
                defaultValue: report.certificate.status,
              })}
              {report.certificate.notAfter
                ? t('paren', {
                    x: t('diagnose.until', { date: report.certificate.notAfter.slice(0, 10) }),
                  })
                : ''}
            </dd>
          </dl>
          <div className="two">
            <div>
              <h3>{t('diagnose.apps')}</h3>
              <ul className="plain">
                {report.apps.map((a) => (
                  <li key={a.name}>
                    {say(a.label)}:{' '}
                    {a.present === null
                      ? '—'
                      : t(a.present ? 'diagnose.present' : 'diagnose.absent')}
                  </li>
                ))}
              </ul>
            </div>
            <div>
              <h3>{t('diagnose.pins')}</h3>
              <ul className="plain">
                {report.pins.map((p) => (
                  <li key={p.name}>
                    {say(p.label)}:{' '}
                    {p.triesLeft === null ? '—' : t('diagnose.tries', { n: p.triesLeft })}
                  </li>
                ))}
              </ul>
            </div>
          </div>
          <h3>{t('counter.space')}</h3>
          <div className="areas">
            {report.areas.map((a) => (
              <AreaBar key={a.area} report={a} />
            ))}
          </div>
        </div>
      )}
    </section>
  );
}
