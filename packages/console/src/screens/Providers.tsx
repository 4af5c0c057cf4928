/**
 * Service providers (サービス提供者): who may offer card APs and on what legal basis
 * (条例, 告示, 適合性), their AID range, and whether they may load now. A provider's
 * own operators see their own; the platform sees every one, registers a new one
 * (POST /v1/providers: the server gives it its AID range) and suspends or resumes
 * one (asks first: a suspended provider's card APs cannot be loaded).
 */
import { useState } from 'react';
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Me, Provider } from '../types.ts';
import { AddForm, ListScreen, type Column } from '../ui.tsx';
import { useList } from './useList.ts';

const KINDS = ['municipality', 'prefecture', 'national', 'agency', 'private'] as const;
const BASES = ['ordinance', 'notice', 'conformity'] as const;

/** The platform's form for a new provider (サービス提供者の登録). */
function Register({ onDone }: { onDone: () => void }) {
  const { t } = useLang();
  const empty = {
    id: '',
    name: '',
    kind: 'municipality' as (typeof KINDS)[number],
    code: '',
    basis: 'ordinance' as (typeof BASES)[number],
    reference: '',
    date: '',
    contact: '',
    email: '',
    phone: '',
  };
  const [f, setF] = useState(empty);
  const set = (k: keyof typeof empty) => (e: { target: { value: string } }) =>
    setF({ ...f, [k]: e.target.value });
  // A municipality is known by its 6-digit code (全国地方公共団体コード), a prefecture by 2.
  const code =
    f.kind === 'municipality'
      ? { municipalityCode: f.code }
      : f.kind === 'prefecture'
        ? { prefectureCode: f.code }
        : {};
  async function register() {
    const p = await post<Provider>('/v1/providers', {
      id: f.id,
      name: f.name,
      kind: f.kind,
      ...code,
      legalBasis: { kind: f.basis, reference: f.reference, date: f.date },
      contact: {
        name: f.contact,
        ...(f.email ? { email: f.email } : {}),
        ...(f.phone ? { phone: f.phone } : {}),
      },
    });
    setF(empty);
    onDone();
    return p;
  }
  return (
    <AddForm
      title={t('providers.add')}
      submit={t('providers.submit')}
      done={(p) =>
        t('providers.done', {
          name: (p as Provider).name,
          prefix: (p as Provider).aidRange.prefix ?? '—',
        })
      }
      onSubmit={register}
    >
      <p id="pid-help" className="help">
        {t('providers.idHelp')}
      </p>
      <div className="two">
        <label>
          {t('providers.id')}
          <input
            required
            pattern="[A-Z0-9][A-Z0-9_\-]{0,15}"
            autoComplete="off"
            aria-describedby="pid-help"
            value={f.id}
            onChange={(e) => setF({ ...f, id: e.target.value.toUpperCase() })}
          />
        </label>
        <label>
          {t('providers.name')}
          <input required maxLength={200} value={f.name} onChange={set('name')} />
        </label>
        <label>
          {t('providers.kind')}
          <select
            value={f.kind}
            onChange={(e) => setF({ ...f, kind: e.target.value as typeof f.kind, code: '' })}
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`providerKind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        {(f.kind === 'municipality' || f.kind === 'prefecture') && (
          <label>
            {t(
              f.kind === 'municipality' ? 'providers.municipalityCode' : 'providers.prefectureCode',
            )}
            <input
              required
              inputMode="numeric"
              pattern={f.kind === 'municipality' ? '[0-9]{6}' : '[0-9]{2}'}
              value={f.code}
              onChange={set('code')}
            />
          </label>
        )}
        <label>
          {t('providers.basisKind')}
          <select
            value={f.basis}
            onChange={(e) => setF({ ...f, basis: e.target.value as typeof f.basis })}
          >
            {BASES.map((b) => (
              <option key={b} value={b}>
                {t(`basis.${b}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('providers.reference')}
          <input required maxLength={200} value={f.reference} onChange={set('reference')} />
        </label>
        <label>
          {t('providers.date')}
          <input type="date" required value={f.date} onChange={set('date')} />
        </label>
        <label>
          {t('providers.contact')}
          <input required maxLength={100} value={f.contact} onChange={set('contact')} />
        </label>
        <label>
          {t('providers.email')}
          <input type="email" maxLength={200} value={f.email} onChange={set('email')} />
        </label>
        <label>
          {t('providers.phone')}
          <input type="tel" pattern="[0-9+() \-]{4,30}" value={f.phone} onChange={set('phone')} />
        </label>
      </div>
    </AddForm>
  );
}

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
    >
      {me.role === 'platform' && <Register onDone={reload} />}
    </ListScreen>
  );
}
