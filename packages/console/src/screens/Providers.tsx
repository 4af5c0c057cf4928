/**
 * Service providers (サービス提供者): who may offer card APs and on what legal basis
 * (条例, 告示, 適合性), their AID range, and whether they may load now. A provider's
 * own operators see their own; the platform sees every one and suspends or resumes
 * one (asks first: a suspended provider's card APs cannot be loaded).
 */
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Me, Provider } from '../types.ts';
import { ListScreen, type Column } from '../ui.tsx';
import { useList } from './useList.ts';

export function Providers({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload, setError } = useList<Provider>('/v1/providers');
  async function setStatus(p: Provider, status: 'active' | 'suspended') {
    if (status === 'suspended' && !confirm(t('providers.suspendConfirm', { name: p.name }))) return;
    try {
      await post(`/v1/providers/${encodeURIComponent(p.id)}/status`, { status });
      reload();
    } catch (e) {
      setError(asApiError(e));
    }
  }
  const columns: Column<Provider>[] = [
    // Name with its id beneath, kind with its code: the platform's buttons stay in view at 1280 px.
    {
      head: t('providers.name'),
      cell: (p) => (
        <>
          {p.name}
          <br />
          <span className="mono small">{p.id}</span>
        </>
      ),
    },
    {
      head: t('providers.kind'),
      cell: (p) => (
        <>
          {t(`providerKind.${p.kind}`)}
          <br />
          <span className="mono small">{p.municipalityCode ?? p.prefectureCode ?? ''}</span>
        </>
      ),
    },
    {
      head: t('providers.basis'),
      cell: (p) =>
        `${t(`basis.${p.legalBasis.kind}`)}${t('colon')}${p.legalBasis.reference}${t('paren', { x: p.legalBasis.date })}`,
    },
    {
      head: t('providers.aids'),
      cell: (p) =>
        p.aidRange.prefix
          ? t('providers.aidUse', {
              prefix: p.aidRange.prefix,
              used: p.aidRange.used,
              size: p.aidRange.size,
            })
          : '—',
    },
    {
      head: t('operators.status'),
      cell: (p) => (
        <>
          <span className={`tag tag-${p.status}`}>{t(`status.${p.status}`)}</span>{' '}
          {!p.canLoad && p.status === 'active' && t('providers.cannotLoad')}
        </>
      ),
    },
    {
      head: t('cardAps.actions'),
      cell: (p) =>
        me.role === 'platform' &&
        (p.status === 'active' ? (
          <button type="button" onClick={() => setStatus(p, 'suspended')}>
            {t('cardAps.suspend')}
          </button>
        ) : p.status === 'suspended' ? (
          <button type="button" onClick={() => setStatus(p, 'active')}>
            {t('cardAps.resume')}
          </button>
        ) : null),
    },
  ];
  return (
    <ListScreen
      id="providers"
      title={t('providers.title')}
      error={error}
      rows={rows}
      columns={columns}
      rowKey={(p) => p.id}
    />
  );
}
