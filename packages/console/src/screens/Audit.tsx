/**
 * The audit log (監査ログ): search by date (Japan time), actor, action and target
 * (a card number, a card AP…), and verify the hash chain. The API pages by
 * sequence number; the console reads up to MAX_ROWS rows and filters them here.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { asApiError, get, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { AuditRow, Me } from '../types.ts';
import { Busy, ErrorBox, jst } from '../ui.tsx';
import { jstDay } from '../dailyCounts.ts';

const PAGE = 1000;
const MAX_ROWS = 20_000;

type Verify = { ok: true; rows: number } | { ok: false; rows: number; seq: number; reason: string };

/** The audit rows the operator may read, oldest first (up to MAX_ROWS). */
export async function readAll(): Promise<AuditRow[]> {
  const all: AuditRow[] = [];
  for (let after = 0; all.length < MAX_ROWS;) {
    const page = await get<AuditRow[]>(`/v1/audit?after=${after}&limit=${PAGE}`);
    all.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  return all;
}

export function Audit({ me }: { me: Me }) {
  const { t, lang } = useLang();
  const [rows, setRows] = useState<AuditRow[]>();
  const [error, setError] = useState<ApiError>();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [filter, setFilter] = useState({ from: '', to: '', actor: '', action: '', target: '' });
  const [verify, setVerify] = useState<Verify>();

  useEffect(() => {
    readAll().then(setRows, (e) => setError(asApiError(e)));
  }, []);

  const q = (s: string) => s.trim().toLowerCase();
  const shown = (rows ?? [])
    .filter((r) => {
      const day = jstDay(r.at);
      if (filter.from && day < filter.from) return false;
      if (filter.to && day > filter.to) return false;
      if (filter.actor && !r.actor.toLowerCase().includes(q(filter.actor))) return false;
      if (filter.action && !r.action.toLowerCase().includes(q(filter.action))) return false;
      if (
        filter.target &&
        !`${r.target ?? ''} ${JSON.stringify(r.detail)}`.toLowerCase().includes(q(filter.target))
      )
        return false;
      return true;
    })
    .reverse();

  function search(e: FormEvent) {
    e.preventDefault();
    setFilter({ from, to, actor, action, target });
  }
  async function check() {
    try {
      setVerify(await get<Verify>('/v1/audit/verify'));
    } catch (e) {
      setError(asApiError(e));
    }
  }

  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">{t('audit.title')}</h2>
      <form className="panel filters" onSubmit={search}>
        <label>
          {t('audit.from')}
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t('audit.to')}
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          {t('audit.actor')}
          <input value={actor} onChange={(e) => setActor(e.target.value)} />
        </label>
        <label>
          {t('audit.action')}
          <input value={action} onChange={(e) => setAction(e.target.value)} />
        </label>
        <label>
          {t('audit.card')}
          <input value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          {t('audit.search')}
        </button>
        {(me.role === 'platform' || me.role === 'auditor') && (
          <button type="button" onClick={check}>
            {t('audit.verify')}
          </button>
        )}
      </form>
      <ErrorBox error={error} />
      {verify && (
        <p role="status" className={verify.ok ? 'good' : 'error'}>
          {verify.ok
            ? t('audit.verified', { n: verify.rows })
            : t('audit.broken', { n: verify.seq, kind: verify.reason })}
        </p>
      )}
      {!rows && !error && <Busy text={t('busy')} />}
      {rows && (
        <>
          <p role="status">{t('audit.count', { n: shown.length, total: rows.length })}</p>
          <div className="scroll" tabIndex={0} role="region" aria-label={t('audit.title')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('audit.seq')}</th>
                  <th scope="col">{t('audit.at')}</th>
                  <th scope="col">{t('audit.actor')}</th>
                  <th scope="col">{t('audit.action')}</th>
                  <th scope="col">{t('audit.target')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.slice(0, 500).map((r) => (
                  <tr key={r.seq}>
                    <td className="num">{r.seq}</td>
                    <td>{jst(r.at, lang)}</td>
                    <td className="mono">{r.actor}</td>
                    <td className="mono">{r.action}</td>
                    <td className="mono">{r.target ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
