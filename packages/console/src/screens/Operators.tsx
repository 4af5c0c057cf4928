/** Operators (オペレーター) of the provider: list, add, unlock. */
import { useState, type FormEvent } from 'react';
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Me, Operator, Role } from '../types.ts';
import { ErrorBox } from '../ui.tsx';
import { useList } from './useList.ts';

const ROLES: readonly Role[] = ['loading_operator', 'administrator', 'auditor', 'read_only'];

export function Operators({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload, setError } = useList<Operator>('/v1/operators');
  const [login, setLogin] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('loading_operator');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const admin = me.role === 'administrator' || me.role === 'platform';

  async function add(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    try {
      await post('/v1/operators', {
        login,
        displayName,
        role,
        providerId: me.providerId,
        password,
        terminals: me.terminals,
      });
      setDone(true);
      setLogin('');
      setDisplayName('');
      setPassword('');
      reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }
  async function unlock(id: string) {
    try {
      await post(`/v1/operators/${id}/unlock`);
      reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }
  return (
    <section aria-labelledby="ops-h">
      <h2 id="ops-h">{t('operators.title')}</h2>
      <ErrorBox error={error} />
      <div className="scroll" tabIndex={0} role="region" aria-label={t('operators.title')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('operators.login')}</th>
              <th scope="col">{t('operators.name')}</th>
              <th scope="col">{t('operators.role')}</th>
              <th scope="col">{t('operators.status')}</th>
              <th scope="col">{t('operators.terminals')}</th>
              <th scope="col">{t('cardAps.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(rows ?? []).map((o) => (
              <tr key={o.id}>
                <td className="mono">{o.login}</td>
                <td>{o.displayName}</td>
                <td>{t(`role.${o.role}`)}</td>
                <td>
                  {t(`status.${o.status}`)}
                  {o.lockedUntil && new Date(o.lockedUntil) > new Date() && (
                    <span className="tag tag-suspended">{t('operators.locked')}</span>
                  )}
                </td>
                <td>{o.terminals.join('、') || '—'}</td>
                <td>
                  {admin && o.lockedUntil && (
                    <button type="button" onClick={() => unlock(o.id)}>
                      {t('operators.unlock')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {me.role === 'administrator' && (
        <form className="panel" onSubmit={add}>
          <h3>{t('operators.add')}</h3>
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
          <button type="submit" className="primary">
            {t('operators.submit')}
          </button>
          {done && <p role="status">{t('operators.done')}</p>}
        </form>
      )}
    </section>
  );
}
