/** The card AP registry (カードAP管理): list, request (administrators), approve (platform), suspend. */
import { useState, type FormEvent } from 'react';
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Area, CardAp, Me } from '../types.ts';
import { ErrorBox } from '../ui.tsx';
import { useList } from './useList.ts';

export function CardAps({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload, setError } = useList<CardAp>('/v1/card-aps');
  const [name, setName] = useState('');
  const [type, setType] = useState<'C' | 'D' | 'A'>('C');
  const [area, setArea] = useState<Area>('extended');
  const [size, setSize] = useState('33');
  const [done, setDone] = useState(false);

  async function act(id: string, path: string, body: unknown) {
    try {
      await post(`/v1/card-aps/${id}/${path}`, body);
      reload();
    } catch (e) {
      setError(asApiError(e));
    }
  }
  async function request(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    try {
      await post('/v1/card-aps', {
        providerId: me.providerId,
        name,
        type,
        areas: [area],
        size: Number(size),
        ...(type === 'C' ? {} : { pin: { fixed: true, tries: 5 } }),
      });
      setDone(true);
      setName('');
      reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }

  return (
    <section aria-labelledby="aps-h">
      <h2 id="aps-h">{t('cardAps.title')}</h2>
      <ErrorBox error={error} />
      <h3>{t('cardAps.list')}</h3>
      <div className="scroll" tabIndex={0} role="region" aria-label={t('cardAps.list')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('cardAps.name')}</th>
              <th scope="col">{t('cardAps.provider')}</th>
              <th scope="col">{t('cardAps.type')}</th>
              <th scope="col">{t('cardAps.areas')}</th>
              <th scope="col">{t('cardAps.size')}</th>
              <th scope="col">{t('cardAps.status')}</th>
              <th scope="col">{t('cardAps.aid')}</th>
              <th scope="col">{t('cardAps.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(rows ?? []).map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{a.providerId}</td>
                <td>{a.type}</td>
                <td>{a.areas.map((x) => t(`area.${x}`)).join('、')}</td>
                <td className="num">{a.size}</td>
                <td>
                  <span className={`tag tag-${a.status}`}>{t(`status.${a.status}`)}</span>
                </td>
                <td className="mono">{a.aid ?? '—'}</td>
                <td>
                  {me.role === 'platform' && a.status === 'requested' && (
                    <button type="button" onClick={() => act(a.id, 'approve', {})}>
                      {t('cardAps.approve')}
                    </button>
                  )}
                  {(me.role === 'platform' || me.role === 'administrator') &&
                    a.status === 'approved' && (
                      <button
                        type="button"
                        onClick={() => {
                          if (confirm(t('cardAps.suspendConfirm', { name: a.name })))
                            void act(a.id, 'status', { status: 'suspended' });
                        }}
                      >
                        {t('cardAps.suspend')}
                      </button>
                    )}
                  {(me.role === 'platform' || me.role === 'administrator') &&
                    a.status === 'suspended' && (
                      <button
                        type="button"
                        onClick={() => act(a.id, 'status', { status: 'approved' })}
                      >
                        {t('cardAps.resume')}
                      </button>
                    )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {me.role === 'administrator' && (
        <form className="panel" onSubmit={request}>
          <h3>{t('cardAps.request')}</h3>
          <label>
            {t('cardAps.name')}
            <input
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <label>
            {t('cardAps.type')}
            <select value={type} onChange={(e) => setType(e.target.value as 'C' | 'D' | 'A')}>
              <option value="C">C</option>
              <option value="D">D</option>
              <option value="A">A</option>
            </select>
          </label>
          <label>
            {t('cardAps.areas')}
            <select value={area} onChange={(e) => setArea(e.target.value as Area)}>
              <option value="extended">{t('area.extended')}</option>
              <option value="local">{t('area.local')}</option>
            </select>
          </label>
          <label>
            {t('cardAps.size')}
            <input
              type="number"
              min={13}
              max={255}
              required
              value={size}
              onChange={(e) => setSize(e.target.value)}
            />
          </label>
          <button type="submit" className="primary">
            {t('cardAps.submit')}
          </button>
          {done && <p role="status">{t('cardAps.done')}</p>}
        </form>
      )}
    </section>
  );
}
