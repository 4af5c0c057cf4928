/** The console's frame: login, the header with the language switch, the screens. */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, asApiError, get, getToken, post, setToken } from './api.ts';
import { setLang, useLang } from './i18n.ts';
import type { Me, Role } from './types.ts';
import { Busy, ErrorBox } from './ui.tsx';
import { Counter } from './screens/Counter.tsx';
import { CardAps } from './screens/CardAps.tsx';
import { Operators } from './screens/Operators.tsx';
import { Terminals } from './screens/Terminals.tsx';
import { Audit } from './screens/Audit.tsx';
import { Diagnose } from './screens/Diagnose.tsx';

const SCREENS = ['counter', 'cardAps', 'operators', 'terminals', 'audit', 'diagnose'] as const;
type Screen = (typeof SCREENS)[number];

/** The screens a role has any use for (the API refuses the rest anyway: docs/loader.md, Roles). */
const BY_ROLE: Readonly<Record<Role, readonly Screen[]>> = {
  platform: ['cardAps', 'operators', 'terminals', 'audit'],
  administrator: ['counter', 'cardAps', 'operators', 'terminals', 'audit', 'diagnose'],
  loading_operator: ['counter', 'cardAps', 'terminals', 'diagnose'],
  auditor: ['cardAps', 'operators', 'terminals', 'audit'],
  read_only: ['cardAps', 'terminals'],
};

function screenFromHash(): Screen {
  const h = location.hash.replace(/^#\/?/, '');
  return (SCREENS as readonly string[]).includes(h) ? (h as Screen) : 'counter';
}

function LangSwitch() {
  const { t, lang } = useLang();
  return (
    <button
      type="button"
      className="lang"
      lang={lang === 'ja' ? 'en' : 'ja'}
      onClick={() => setLang(lang === 'ja' ? 'en' : 'ja')}
    >
      {t('lang.switch')}
    </button>
  );
}

function Login({ onIn }: { onIn: (me: Me) => void }) {
  const { t } = useLang();
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await post<{ token: string }>('/v1/login', { login: user, password });
      setToken(r.token);
      onIn(await get<Me>('/v1/me'));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
      setPassword('');
    }
  }
  return (
    <main id="main" className="login">
      <h2>{t('login.title')}</h2>
      <p>{t('login.lead')}</p>
      <form onSubmit={submit}>
        <label>
          {t('login.user')}
          <input
            name="login"
            autoComplete="username"
            required
            value={user}
            onChange={(e) => setUser(e.target.value)}
          />
        </label>
        <label>
          {t('login.password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

export function App() {
  const { t } = useLang();
  const [me, setMe] = useState<Me | null>();
  const [wanted, setScreen] = useState<Screen>(screenFromHash);
  const allowed = me ? BY_ROLE[me.role] : SCREENS;
  const screen = allowed.includes(wanted) ? wanted : (allowed[0] ?? 'cardAps');

  useEffect(() => {
    const on = () => setScreen(screenFromHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    if (!getToken()) return setMe(null);
    get<Me>('/v1/me').then(setMe, () => {
      setToken(null);
      setMe(null);
    });
  }, []);
  useEffect(() => {
    document.title = `${t(`nav.${screen}`)} — ${t('app')}`;
  }, [screen, t]);

  async function logout() {
    await post('/v1/logout').catch(() => undefined);
    setToken(null);
    setMe(null);
  }

  return (
    <>
      <a className="skip" href="#main">
        {t('skip')}
      </a>
      <header className="top">
        <h1>
          {t('app')} <small>{t('appSub')}</small>
        </h1>
        <div className="who">
          {me && <span>{t('signedIn', { login: me.login, role: t(`role.${me.role}`) })}</span>}
          <LangSwitch />
          {me && (
            <button type="button" onClick={logout}>
              {t('logout')}
            </button>
          )}
        </div>
      </header>
      {me === undefined && <Busy text={t('busy')} />}
      {me === null && <Login onIn={setMe} />}
      {me && (
        <div className="frame">
          <nav aria-label={t('nav.label')}>
            <ul>
              {allowed.map((s) => (
                <li key={s}>
                  <a href={`#/${s}`} aria-current={s === screen ? 'page' : undefined}>
                    {t(`nav.${s}`)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <main id="main">
            {screen === 'counter' && <Counter me={me} />}
            {screen === 'cardAps' && <CardAps me={me} />}
            {screen === 'operators' && <Operators me={me} />}
            {screen === 'terminals' && <Terminals me={me} />}
            {screen === 'audit' && <Audit me={me} />}
            {screen === 'diagnose' && <Diagnose me={me} />}
          </main>
        </div>
      )}
    </>
  );
}
