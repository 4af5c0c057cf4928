/**
 * The holder's sign-in page (類型①: the platform's own card-reading and consent
 * screen). The page asks its interaction what the client wants, takes the PIN
 * (and the 署名用 password when the 4 info are asked for) and gives them to the
 * holder's bridge on 127.0.0.1 — never to this server: what the server gets is
 * the card's signatures. Posting them is the holder's consent.
 *
 * No framework, one script of our own (CSP: nothing else runs, and the page may
 * connect only to itself and the bridge); every value from the server or the
 * bridge is put in with textContent.
 */

/** Where the bridge listens unless the platform is told otherwise (`myna bridge`'s default). */
export const DEFAULT_BRIDGE_URL = 'http://127.0.0.1:8391';

const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's Content-Security-Policy: its own script, its own and the bridge's origin. */
export function signInCsp(bridgeUrl: string): string {
  const bridge = new URL(bridgeUrl).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ${bridge}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function signInHtml(o: { bridgeUrl: string; scriptPath: string }): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>マイナンバーカードでサインイン / Sign in with your My Number Card</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 34rem; margin: 2rem auto; padding: 0 1rem; }
label { display: block; margin-top: 1rem; }
input { font-size: 1.2rem; letter-spacing: .2em; }
#error { color: #a00; white-space: pre-line; }
[hidden] { display: none; }
</style>
</head>
<body data-bridge="${escapeAttr(o.bridgeUrl)}">
<h1>マイナンバーカードでサインイン<br><small>Sign in with your My Number Card</small></h1>
<p id="client"></p>
<ul id="scopes"></ul>
<form id="form">
<label>利用者証明用電子証明書の暗証番号（数字4桁） / Auth PIN (4 digits)
<input id="pin" type="password" inputmode="numeric" autocomplete="off" pattern="[0-9]{4}" maxlength="4" required></label>
<p id="signWhat" hidden></p>
<label id="passwordRow" hidden>署名用電子証明書の暗証番号（英数字6〜16桁） / Signature password
<input id="password" type="password" autocomplete="off" maxlength="16"></label>
<p>暗証番号はこのパソコンのカード連携ソフト（myna bridge）にだけ送られ、サーバには送られません。<br>
The PIN goes only to the card bridge on this computer (myna bridge), never to a server.</p>
<button id="go" type="submit">同意してサインイン / Agree and sign in</button>
</form>
<p id="status" role="status"></p>
<p id="error" role="alert"></p>
<script src="${escapeAttr(o.scriptPath)}"></script>
</body>
</html>
`;
}

/** The page's script (served at `scriptPath`). */
export const SIGN_IN_SCRIPT = `'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const bridge = document.body.dataset.bridge;
  const here = location.pathname;
  const lang = (navigator.language || 'ja').startsWith('ja') ? 'ja' : 'en';
  const say = (en, ja) => (lang === 'ja' ? ja : en);
  const SCOPE = {
    openid: ['who you are at this service (a pseudonym for it alone)', 'このサービス用の識別子（他のサービスとは共通しません）'],
    name: ['your name', '氏名'], address: ['your address', '住所'],
    birthdate: ['your date of birth', '生年月日'], gender: ['your sex', '性別'],
  };
  const fail = (msg) => { $('error').textContent = msg; $('status').textContent = ''; $('go').disabled = false; };
  async function json(url, init) {
    let res;
    try {
      res = await fetch(url, { ...init, headers: { accept: 'application/json', 'content-type': 'application/json' } });
    } catch {
      if (url.startsWith(bridge)) {
        throw new Error(say('the card bridge is not running on this computer: start it with "myna bridge"',
          'このパソコンでカード連携ソフトが動いていません。「myna bridge」で起動してください'));
      }
      throw new Error(say('the server cannot be reached', 'サーバに接続できません'));
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((body.text && body.text[lang]) || body.message || res.status + '');
    return body;
  }
  let ask;
  json(here, { method: 'GET' }).then((a) => {
    ask = a;
    $('client').textContent = say('The service ', 'サービス「') + (a.client.name || a.client.id) + say(' asks for:', '」が次の情報を求めています:');
    for (const s of a.scopes) {
      const li = document.createElement('li');
      li.textContent = SCOPE[s] ? SCOPE[s][lang === 'ja' ? 1 : 0] : s;
      $('scopes').append(li);
    }
    $('passwordRow').hidden = !a.needsSignCertificate;
    if (a.sign) {
      $('signWhat').hidden = false;
      $('signWhat').textContent = say('and asks you to sign, with your 署名用 key, the document whose SHA-256 is ',
        'また、署名用電子証明書の鍵で次の文書（SHA-256）への電子署名を求めています: ') +
        Array.from(atob(a.sign.digest), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
    }
    $('password').required = a.needsSignCertificate;
  }, (e) => fail(e.message));
  $('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!ask) return;
    $('go').disabled = true;
    $('error').textContent = '';
    $('status').textContent = say('Reading the card…', 'カードを読み取っています…');
    try {
      const post = (path, body) => json(bridge + path, { method: 'POST', body: JSON.stringify(body) });
      const auth = await post('/v1/auth/sign', { challenge: ask.challenge, pin: $('pin').value });
      $('pin').value = '';
      const proof = { challenge: ask.challenge, origin: auth.origin, certificate: auth.certificate, signature: auth.signature };
      if (ask.needsSignCertificate) {
        const sign = await post('/v1/sign/sign', { challenge: ask.challenge, password: $('password').value });
        proof.signCertificate = sign.certificate;
        proof.signSignature = sign.signature;
        if (ask.sign) {
          const doc = await post('/v1/sign/sign', { digest: ask.sign.digest, password: $('password').value });
          proof.transactionSignature = doc.signature;
        }
        $('password').value = '';
      }
      $('status').textContent = say('Checking…', '確認しています…');
      const done = await json(here + '/proof', { method: 'POST', body: JSON.stringify(proof) });
      location.assign(done.redirectTo);
    } catch (e) {
      fail(e.message);
    }
  });
})();
`;
