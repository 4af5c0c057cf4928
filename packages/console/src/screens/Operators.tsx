/**
 * Operators (オペレーター) of the provider: list, add (the platform adds one to the
 * provider it picks, bound to all that provider's terminals: a new provider's first
 * administrator), unlock; and their
 * authenticators (生体認証機器): an administrator issues an enrolment code (first
 * registration) or a recovery code (after a loss), revokes a lost one, and may
 * require WebAuthn for every operator of the provider.
 */
import { useEffect, useState } from 'react';
import { asApiError, get, post, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import type {
  AuthenticatorView,
  EnrolmentView,
  Me,
  Operator,
  Provider,
  Role,
  Terminal,
  WebauthnPolicyView,
} from '../types.ts';
import {
  AddForm,
  ErrorBox,
  jst,
  ListScreen,
  ListTable,
  ProviderSelect,
  type Column,
} from '../ui.tsx';
import { useList } from './useList.ts';

const ROLES: readonly Role[] = ['loading_operator', 'administrator', 'auditor', 'read_only'];

/** One operator's authenticators, with the codes an administrator hands over. */
function Authenticators({ op, onClose }: { op: Operator; onClose: () => void }) {
  const { t, lang } = useLang();
  const path = `/v1/console/operators/${encodeURIComponent(op.id)}/authenticators`;
  const { rows, error, reload, setError } = useList<AuthenticatorView>(path);
  const [code, setCode] = useState<EnrolmentView>();

  async function issue(purpose: 'enrol' | 'recovery') {
    try {
      setCode(await post<EnrolmentView>(`${path}/enrolment`, { purpose }));
    } catch (e) {
      setError(asApiError(e));
    }
  }
  async function revoke(a: AuthenticatorView) {
    if (!confirm(t('auth.revokeConfirm', { name: a.nickname ?? a.id.slice(0, 12) }))) return;
    try {
      await post(`${path}/${encodeURIComponent(a.id)}/revoke`, {});
      reload();
    } catch (e) {
      setError(asApiError(e));
    }
  }
  const columns: Column<AuthenticatorView>[] = [
    { head: t('auth.name'), cell: (a) => a.nickname ?? a.id.slice(0, 16) + '…' },
    { head: t('auth.created'), cell: (a) => jst(a.createdAt, lang) },
    { head: t('auth.lastUsed'), cell: (a) => (a.lastUsedAt ? jst(a.lastUsedAt, lang) : '—') },
    {
      head: t('operators.status'),
      cell: (a) =>
        a.revokedAt ? (
          <span className="tag tag-revoked">{t('status.revoked')}</span>
        ) : (
          t('status.active')
        ),
    },
    {
      head: t('cardAps.actions'),
      cell: (a) =>
        !a.revokedAt && (
          <button type="button" onClick={() => revoke(a)}>
            {t('auth.revoke')}
          </button>
        ),
    },
  ];
  return (
    <section className="panel" aria-labelledby="auth-h">
      <h3 id="auth-h">{t('auth.title', { login: op.login })}</h3>
      <ErrorBox error={error} />
      <ListTable
        label={t('auth.title', { login: op.login })}
        rows={rows}
        columns={columns}
        rowKey={(a) => a.id}
      />
      <p className="help">{t('auth.lead')}</p>
      <div className="buttons">
        <button type="button" className="primary" onClick={() => issue('enrol')}>
          {t('auth.issueEnrol')}
        </button>
        <button type="button" onClick={() => issue('recovery')}>
          {t('auth.issueRecovery')}
        </button>
        <button type="button" onClick={onClose}>
          {t('auth.close')}
        </button>
      </div>
      {code && (
        <div role="status" className="code-box">
          <p>
            {t(code.purpose === 'enrol' ? 'auth.codeEnrol' : 'auth.codeRecovery', {
              login: op.login,
            })}
          </p>
          <p className="code">{code.code}</p>
          <p>{t('auth.codeUntil', { at: jst(code.expiresAt, lang) })}</p>
        </div>
      )}
    </section>
  );
}

/** Requires (or stops requiring) an authenticator for every operator of the provider. */
function WebauthnPolicy({ providerId }: { providerId: string }) {
  const { t } = useLang();
  const [state, setState] = useState<boolean>();
  const [error, setError] = useState<ApiError>();
  const path = `/v1/console/providers/${encodeURIComponent(providerId)}/webauthn`;
  useEffect(() => {
    get<WebauthnPolicyView>(path).then(
      (r) => setState(r.required),
      (e) => setError(asApiError(e)),
    );
  }, [path]);
  async function set(required: boolean) {
    setError(undefined);
    try {
      const r = await post<WebauthnPolicyView>(path, { required });
      setState(r.required);
    } catch (e) {
      setError(asApiError(e));
    }
  }
  return (
    <section className="panel" aria-labelledby="policy-h">
      <h3 id="policy-h">{t('auth.policy')}</h3>
      <p>{t('auth.policyLead')}</p>
      {state !== undefined && (
        <p role="status" className="big">
          {t(state ? 'auth.required' : 'auth.notRequired')}
        </p>
      )}
      <div className="buttons">
        {state !== true && (
          <button type="button" onClick={() => set(true)}>
            {t('auth.require')}
          </button>
        )}
        {state !== false && (
          <button type="button" onClick={() => set(false)}>
            {t('auth.dontRequire')}
          </button>
        )}
      </div>
      <ErrorBox error={error} />
    </section>
  );
}

export function Operators({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload, setError } = useList<Operator>('/v1/operators');
  const [login, setLogin] = useState('');
  const [displayName, setDisplayName] = useState('');
  // The platform adds a new provider's first administrator; an administrator, its staff.
  const [role, setRole] = useState<Role>(
    me.role === 'platform' ? 'administrator' : 'loading_operator',
  );
  const [password, setPassword] = useState('');
  const [authOf, setAuthOf] = useState<Operator>();
  const admin = me.role === 'administrator' || me.role === 'platform';
  const platform = me.role === 'platform';
  const providers = useList<Provider>(platform ? '/v1/providers' : undefined);
  const terminals = useList<Terminal>(platform ? '/v1/terminals' : undefined);
  const [forProvider, setForProvider] = useState('');
  const providerId = me.providerId ?? (forProvider || providers.rows?.[0]?.id);
  // An administrator's new operator works at its own terminals; the platform's, at
  // every terminal of the provider it picked.
  const bound = platform
    ? (terminals.rows ?? []).filter((x) => x.providerId === providerId).map((x) => x.id)
    : me.terminals;

  async function add() {
    await post('/v1/operators', {
      login,
      displayName,
      role,
      providerId,
      password,
      terminals: bound,
    });
    setLogin('');
    setDisplayName('');
    setPassword('');
    reload();
  }
  async function unlock(id: string) {
    try {
      await post(`/v1/operators/${id}/unlock`);
      reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }
  const columns: Column<Operator>[] = [
    { head: t('operators.login'), cell: (o) => o.login, className: 'mono' },
    { head: t('operators.name'), cell: (o) => o.displayName },
    { head: t('operators.role'), cell: (o) => t(`role.${o.role}`) },
    {
      head: t('operators.status'),
      cell: (o) => (
        <>
          {t(`status.${o.status}`)}
          {o.lockedUntil && new Date(o.lockedUntil) > new Date() && (
            <span className="tag tag-suspended">{t('operators.locked')}</span>
          )}
        </>
      ),
    },
    { head: t('operators.terminals'), cell: (o) => o.terminals.join(t('sep')) || '—' },
    {
      head: t('cardAps.actions'),
      cell: (o) =>
        admin && (
          <div className="row-actions">
            {o.lockedUntil && (
              <button type="button" onClick={() => unlock(o.id)}>
                {t('operators.unlock')}
              </button>
            )}
            {o.role !== 'platform' && (
              <button
                type="button"
                aria-label={t('auth.openFor', { login: o.login })}
                onClick={() => setAuthOf(o)}
              >
                {t('auth.open')}
              </button>
            )}
          </div>
        ),
    },
  ];
  return (
    <ListScreen
      id="ops"
      title={t('operators.title')}
      error={error}
      rows={rows}
      columns={columns}
      rowKey={(o) => o.id}
    >
      {authOf && (
        <Authenticators key={authOf.id} op={authOf} onClose={() => setAuthOf(undefined)} />
      )}
      {admin && (
        <AddForm
          title={t('operators.add')}
          submit={t('operators.submit')}
          done={t('operators.done')}
          onSubmit={add}
        >
          {platform && (
            <>
              <ProviderSelect
                rows={providers.rows}
                value={providerId ?? ''}
                onChange={setForProvider}
              />
              <p className="help">
                {t('operators.boundTo', {
                  list: bound.join(t('sep')) || t('operators.noTerminals'),
                })}
              </p>
            </>
          )}
          <label>
            {t('operators.login')}
            <input
              required
              pattern="[a-z0-9][a-z0-9._\-]{2,63}"
              autoComplete="off"
              value={login}
              onChange={(e) => setLogin(e.target.value)}
            />
          </label>
          <label>
            {t('operators.name')}
            <input required value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </label>
          <label>
            {t('operators.role')}
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('operators.password')}
            <input
              type="password"
              required
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
        </AddForm>
      )}
      {admin && me.providerId && <WebauthnPolicy providerId={me.providerId} />}
    </ListScreen>
  );
}
