/** The console's frame: login, the header with the language switch, the screens. */
import { useEffect, useState, type FormEvent } from 'react';
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { ApiError, asApiError, get, post, setCsrfToken } from './api.ts';
import { setLang, useLang } from './i18n.ts';
import type { ConsoleLoginResult, ConsoleSession, Me, Role } from './types.ts';
import { Busy, ErrorBox } from './ui.tsx';
import { Counter } from './screens/Counter.tsx';
import { CardAps } from './screens/CardAps.tsx';
import { Operators } from './screens/Operators.tsx';
import { Terminals } from './screens/Terminals.tsx';
import { Audit } from './screens/Audit.tsx';
import { Diagnose } from './screens/Diagnose.tsx';
import { Stats } from './screens/Stats.tsx';
import { Hours } from './screens/Hours.tsx';
import { Feed } from './screens/Feed.tsx';
import { CardWork } from './screens/CardWork.tsx';
import { Providers } from './screens/Providers.tsx';
import { Batches } from './screens/Batches.tsx';

/** In the order of the menu: the counter's daily work first. */
const SCREENS = [
  'counter',
  'work',
  'batches',
  'diagnose',
  'cardAps',
  'terminals',
  'operators',
  'providers',
  'feed',
  'stats',
  'audit',
  'hours',
] as const;
type Screen = (typeof SCREENS)[number];

/** The screens a role has any use for (the API refuses the rest anyway: docs/loader.md, Roles). */
const BY_ROLE: Readonly<Record<Role, readonly Screen[]>> = {
  platform: ['cardAps', 'providers', 'terminals', 'operators', 'feed', 'audit', 'hours'],
  administrator: [
    'counter',
    'work',
    'batches',
    'diagnose',
    'cardAps',
    'terminals',
    'operators',
    'providers',
    'feed',
    'stats',
    'audit',
    'hours',
  ],
  loading_operator: ['counter', 'work', 'diagnose', 'cardAps', 'terminals', 'hours'],
  auditor: ['cardAps', 'terminals', 'operators', 'providers', 'feed', 'stats', 'audit', 'hours'],
  read_only: ['cardAps', 'terminals', 'hours'],
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

/**
 * Password first; then, when the operator has an authenticator (or brings an
 * enrolment code from an administrator), the fingerprint, face or security key
 * (WebAuthn, user verification required).
 */
function Login({ onIn }: { onIn: (s: ConsoleSession) => void }) {
  const { t } = useLang();
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<ApiError>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(t('login.busy'));
    setError(undefined);
    try {
      const enrolmentCode = code.trim().toUpperCase();
      let r = await post<ConsoleLoginResult>('/v1/console/login', {
        login: user,
        password,
        ...(enrolmentCode ? { enrolmentCode } : {}),
      });
      if (r.step === 'webauthn' || r.step === 'enrol') {
        setBusy(t(r.step === 'enrol' ? 'login.enrolBusy' : 'login.webauthnBusy'));
        const credential =
          r.step === 'enrol'
            ? await startRegistration({ optionsJSON: r.options as never })
            : await startAuthentication({ optionsJSON: r.options as never });
        r = await post<ConsoleLoginResult>('/v1/console/login/webauthn', {
          ticket: r.ticket,
          credential,
        });
      }
      if (r.step !== 'done') throw new Error('unexpected login step');
      setCsrfToken(r.csrfToken);
      onIn(r);
    } catch (err) {
      // The browser's own refusal (cancelled, timed out) says so in plain words.
      const e = err as Error;
      setError(
        e?.name === 'NotAllowedError' || e?.name === 'AbortError'
          ? new ApiError(
              'WEBAUTHN_CANCELLED',
              { en: t('login.cancelled', { lng: 'en' }), ja: t('login.cancelled', { lng: 'ja' }) },
              0,
            )
          : asApiError(err),
      );
    } finally {
      setBusy(undefined);
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
        <label>
          {t('login.code')}
          <input
            name="enrolmentCode"
            autoComplete="off"
            placeholder="ABCD-EFGH"
            aria-describedby="code-help"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
        <p id="code-help" className="help">
          {t('login.codeHelp')}
        </p>
        <button type="submit" className="primary" disabled={busy !== undefined}>
          {busy ?? t('login.submit')}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

/** `#login=ot_…`: the one-time link `npm start` prints (the fragment never reaches a log). */
function oneTimeTicket(): string | undefined {
  const m = /^#login=(ot_[0-9a-f]{48})$/.exec(location.hash);
  return m?.[1];
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
  function signedIn(s: ConsoleSession) {
    setCsrfToken(s.csrfToken);
    setMe(s.session);
  }
  useEffect(() => {
    const ticket = oneTimeTicket();
    if (ticket) history.replaceState(null, '', location.pathname);
    const start = ticket
      ? post<ConsoleSession>('/v1/console/one-time', { ticket })
      : get<ConsoleSession>('/v1/console/session');
    start.then(signedIn, () => setMe(null));
  }, []);
  useEffect(() => {
    document.title = `${t(`nav.${screen}`)} — ${t('app')}`;
  }, [screen, t]);

  async function logout() {
    await post('/v1/console/logout').catch(() => undefined);
    setCsrfToken(null);
    setMe(null);
    // The next operator at this PC starts at their own first screen, not the last one's.
    history.replaceState(null, '', location.pathname);
    setScreen(screenFromHash());
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
      {me === null && <Login onIn={signedIn} />}
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
            {screen === 'stats' && <Stats />}
            {screen === 'hours' && <Hours me={me} />}
            {screen === 'feed' && <Feed me={me} />}
            {screen === 'work' && <CardWork me={me} />}
            {screen === 'providers' && <Providers me={me} />}
            {screen === 'batches' && <Batches me={me} />}
          </main>
        </div>
      )}
    </>
  );
}
