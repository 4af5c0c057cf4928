/**
 * Loads and refusals per day (日別の搭載・拒否件数) for an administrator: a plain
 * SVG bar chart of the last DAYS days (Japan time), counted by the server from the
 * audit log the operator may read (GET /v1/console/stats/daily), with the same
 * figures as a table beneath for a screen reader.
 */
import { useEffect, useState } from 'react';
import type { DayCountView as DayCount } from '@myna-ap/loader/contract';
import { asApiError, get, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import { niceMax } from '../dailyCounts.ts';
import { Busy, ErrorBox, ListTable } from '../ui.tsx';

const DAYS = 14;
const W = 760;
const H = 240;
const PAD = { left: 40, right: 8, top: 12, bottom: 36 };

function Chart({ data }: { data: readonly DayCount[] }) {
  const { t } = useLang();
  const top = niceMax(Math.max(...data.map((d) => Math.max(d.loads, d.refusals))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / data.length;
  const bar = Math.max(2, (slot - 6) / 2);
  const y = (n: number) => PAD.top + plotH - (plotH * n) / top;
  const ticks = [0, top / 2, top].filter((v, i, a) => Number.isInteger(v) && a.indexOf(v) === i);
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={t('stats.chartLabel', { days: data.length })}
    >
      {ticks.map((v) => (
        <g key={v}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
          <text x={PAD.left - 6} y={y(v) + 5} textAnchor="end" className="axis">
            {v}
          </text>
        </g>
      ))}
      {data.map((d, i) => {
        const x = PAD.left + i * slot + 3;
        return (
          <g key={d.day}>
            <rect
              x={x}
              y={y(d.loads)}
              width={bar}
              height={y(0) - y(d.loads)}
              className="bar-loads"
            />
            <rect
              x={x + bar}
              y={y(d.refusals)}
              width={bar}
              height={y(0) - y(d.refusals)}
              className="bar-refusals"
            />
            <text x={x + bar} y={H - PAD.bottom + 18} textAnchor="middle" className="axis">
              {d.day.slice(5).replace('-', '/')}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function Stats() {
  const { t } = useLang();
  const [data, setData] = useState<DayCount[]>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    get<{ days: DayCount[] }>(`/v1/console/stats/daily?days=${DAYS}`).then(
      (r) => setData(r.days),
      (e) => setError(asApiError(e)),
    );
  }, []);
  const total = (k: 'loads' | 'refusals') => (data ?? []).reduce((n, d) => n + d[k], 0);
  return (
    <section aria-labelledby="stats-h">
      <h2 id="stats-h">{t('stats.title')}</h2>
      <ErrorBox error={error} />
      {!data && !error && <Busy text={t('busy')} />}
      {data && (
        <>
          <div className="panel">
            <p>
              {t('stats.lead', { days: DAYS, loads: total('loads'), refusals: total('refusals') })}
            </p>
            <Chart data={data} />
            <ul className="legend">
              <li>
                <span className="swatch bar-loads" aria-hidden="true" />
                {t('stats.loads')}
              </li>
              <li>
                <span className="swatch bar-refusals" aria-hidden="true" />
                {t('stats.refusals')}
              </li>
            </ul>
          </div>
          <ListTable
            label={t('stats.table')}
            rows={[...data].reverse()}
            rowKey={(d) => d.day}
            columns={[
              { head: t('stats.day'), cell: (d) => d.day },
              { head: t('stats.loads'), cell: (d) => d.loads, className: 'num' },
              { head: t('stats.refusals'), cell: (d) => d.refusals, className: 'num' },
            ]}
          />
        </>
      )}
    </section>
  );
}
