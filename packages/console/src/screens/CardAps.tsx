/** The card AP registry (カードAP管理): list, request (administrators), approve (platform), suspend. */
import { useState } from 'react';
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Area, CardAp, Me } from '../types.ts';
import { AddForm, ListScreen, type Column } from '../ui.tsx';
import { useList } from './useList.ts';

export function CardAps({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload, setError } = useList<CardAp>('/v1/card-aps');
  const [name, setName] = useState('');
  const [type, setType] = useState<'C' | 'D' | 'A'>('C');
  const [area, setArea] = useState<Area>('extended');
  const [size, setSize] = useState('33');

  async function act(id: string, path: string, body: unknown) {
    try {
      await post(`/v1/card-aps/${id}/${path}`, body);
      reload();
    } catch (e) {
      setError(asApiError(e));
    }
  }
  async function request() {
    await post('/v1/card-aps', {
      providerId: me.providerId,
      name,
      type,
      areas: [area],
      size: Number(size),
      ...(type === 'C' ? {} : { pin: { fixed: true, tries: 5 } }),
    });
    setName('');
    reload();
  }

  const may = me.role === 'platform' || me.role === 'administrator';
  const columns: Column<CardAp>[] = [
    { head: t('cardAps.name'), cell: (a) => a.name },
    { head: t('cardAps.provider'), cell: (a) => a.providerId },
    { head: t('cardAps.type'), cell: (a) => a.type },
    { head: t('cardAps.areas'), cell: (a) => a.areas.map((x) => t(`area.${x}`)).join(t('sep')) },
    { head: t('cardAps.size'), cell: (a) => a.size, className: 'num' },
    {
      head: t('cardAps.status'),
      cell: (a) => <span className={`tag tag-${a.status}`}>{t(`status.${a.status}`)}</span>,
    },
    { head: t('cardAps.aid'), cell: (a) => a.aid ?? '—', className: 'mono' },
    {
      head: t('cardAps.actions'),
      cell: (a) => (
        <>
          {me.role === 'platform' && a.status === 'requested' && (
            <button type="button" onClick={() => act(a.id, 'approve', {})}>
              {t('cardAps.approve')}
            </button>
          )}
          {may && a.status === 'approved' && (
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
          {may && a.status === 'suspended' && (
            <button type="button" onClick={() => act(a.id, 'status', { status: 'approved' })}>
              {t('cardAps.resume')}
            </button>
          )}
        </>
      ),
    },
  ];

  return (
    <ListScreen
      id="aps"
      title={t('cardAps.title')}
      error={error}
      rows={rows}
      columns={columns}
      rowKey={(a) => a.id}
    >
      {me.role === 'administrator' && (
        <AddForm
          title={t('cardAps.request')}
          submit={t('cardAps.submit')}
          done={t('cardAps.done')}
          onSubmit={request}
        >
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
        </AddForm>
      )}
    </ListScreen>
  );
}
