/** Loading terminals (搭載端末): list with their auto-load preset, register. */
import { useState, type FormEvent } from 'react';
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { CardAp, Me, Terminal } from '../types.ts';
import { ErrorBox } from '../ui.tsx';
import { useList } from './useList.ts';

export function Terminals({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload, setError } = useList<Terminal>('/v1/terminals');
  const aps = useList<CardAp>('/v1/card-aps');
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [done, setDone] = useState(false);
  const apName = (x: string) => aps.rows?.find((a) => a.id === x)?.name ?? x;

  async function add(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    try {
      await post('/v1/terminals', { id, name, providerId: me.providerId });
      setDone(true);
      setId('');
      setName('');
      reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }
  return (
    <section aria-labelledby="terms-h">
      <h2 id="terms-h">{t('terminals.title')}</h2>
      <ErrorBox error={error} />
      <div className="scroll" tabIndex={0} role="region" aria-label={t('terminals.title')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('terminals.id')}</th>
              <th scope="col">{t('terminals.name')}</th>
              <th scope="col">{t('cardAps.provider')}</th>
              <th scope="col">{t('operators.status')}</th>
              <th scope="col">{t('terminals.autoLoad')}</th>
            </tr>
          </thead>
          <tbody>
            {(rows ?? []).map((x) => (
              <tr key={x.id}>
                <td className="mono">{x.id}</td>
                <td>{x.name}</td>
                <td>{x.providerId}</td>
                <td>{t(`status.${x.status}`)}</td>
                <td>
                  {x.autoLoad.length === 0
                    ? '—'
                    : x.autoLoad
                        .map(
                          (a) =>
                            `${apName(a.cardApId)}${a.area ? `（${t(`area.${a.area}`)}）` : ''}`,
                        )
                        .join('、')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {me.role === 'administrator' && (
        <form className="panel" onSubmit={add}>
          <h3>{t('terminals.add')}</h3>
          <label>
            {t('terminals.id')}
            <input
              required
              pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
              value={id}
              onChange={(e) => setId(e.target.value)}
            />
          </label>
          <label>
            {t('terminals.name')}
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" className="primary">
            {t('terminals.submit')}
          </button>
          {done && <p role="status">{t('terminals.done')}</p>}
        </form>
      )}
    </section>
  );
}
