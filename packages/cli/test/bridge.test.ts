/**
 * `myna bridge --card FILE` with `myna idp serve`: the sign-in page names the
 * bridge (and lets the page reach only it and itself); the page's steps — the
 * interaction's challenge, the bridge's signatures for the page's own origin
 * (the PIN and the 署名用 password go to the bridge only), the proof — end in
 * openid-client's tokens and the 4 info; the card file keeps its PIN counters.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { JpkiIssuer } from '@myna-ap/pki';
import {
  createCard,
  generateCardKeys,
  newCardIssuer,
  saveCardImage,
  loadCardFile,
} from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { MynaClient } from '@myna-ap/access';
import { registerClient } from '@myna-ap/idp';
import { startIdp } from '../src/commands/idp.ts';
import { startBridge } from '../src/commands/bridge.ts';
import { myna } from './cliRun.ts';

const home = await mkdtemp(join(tmpdir(), 'myna-bridge-cli-'));
after(() => rm(home, { recursive: true, force: true }));
process.env.MYNA_HOME = home;
process.env.MYNA_LANG = 'en';
delete process.env.DATABASE_URL;

const HOLDER = {
  name: '番号 花子',
  address: '大阪府大阪市北区1-1',
  birthDate: '1991-03-04',
  sex: '2',
} as const;
const issuer = await JpkiIssuer.openOrInit(join(home, 'pki'));
const made = await createCard({
  holder: HOLDER,
  certificates: issuer,
  keys: await generateCardKeys(),
  cardIssuer: newCardIssuer(),
  pin: '1234',
  signPassword: 'ABC123',
});
await issuer.close();
const cardFile = join(home, 'card.json');
await saveCardImage(cardFile, made.image);

const quiet = { out: () => undefined, err: () => undefined };
const said: string[] = [];
const bridge = await startBridge(
  { card: cardFile, port: '0' },
  { out: (l) => said.push(l), err: () => undefined },
);
after(() => bridge.close());
const idp = await startIdp({ port: '0', 'bridge-url': bridge.url }, quiet);
after(() => idp.close());
const origin = new URL(idp.baseUrl).origin;

/** What the page's script sends to the bridge: the browser adds the page's Origin. */
function toBridge(path: string, body: unknown, pageOrigin = origin) {
  return new Promise<{ status: number; body: Record<string, string> }>((resolve, reject) => {
    const req = request(new URL(path, bridge.url), {
      method: 'POST',
      headers: { origin: pageOrigin, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()) }),
      );
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const REDIRECT = 'http://127.0.0.1:9/cb';
const { publicKey, privateKey } = await generateKeyPair('ES256');
await registerClient(idp.db, {
  clientId: 'town-portal',
  name: 'Town portal',
  scopes: [],
  redirectUris: [REDIRECT],
  jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] },
});
const config = await oidc.discovery(
  new URL(`${idp.baseUrl}/oidc`),
  'town-portal',
  undefined,
  oidc.PrivateKeyJwt(privateKey),
  { execute: [oidc.allowInsecureRequests] },
);

function browser() {
  const jar = new Map<string, string>();
  return async (url: string | URL, init: RequestInit = {}) => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  };
}

test('bridge: said at start which card and which pages', () => {
  assert.match(said.join('\n'), /card file .*card\.json/);
  assert.match(
    said.join('\n'),
    /pages allowed: http:\/\/127\.0\.0\.1:8390 http:\/\/127\.0\.0\.1:8380/,
  );
});

test('the sign-in page and its bridge: an authorization code flow with the 4 info', async () => {
  // The bridge allows the platform's default origins; this idp runs on a random
  // port, so a second bridge on the same card file allows it (as --allow-origin would).
  const b = await startBridge({ card: cardFile, port: '0', 'allow-origin': [origin] }, quiet);
  after(() => b.close());
  const go = browser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const start = await go(
    oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid name address',
      acr_values: 'aal3',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }),
  );
  const at = new URL(start.headers.get('location')!, idp.baseUrl);
  const page = await go(at, { headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, new RegExp(`data-bridge="${bridge.url}"`));
  assert.match(
    page.headers.get('content-security-policy')!,
    new RegExp(`connect-src 'self' ${bridge.url}`),
  );
  const script = html.match(/<script src="([^"]+)"/)![1]!;
  const js = await go(new URL(script, idp.baseUrl));
  assert.equal(js.status, 200);
  assert.match(await js.text(), /\/v1\/auth\/sign/);

  // What the script does, with the bridge allowing this page.
  const ask = (await (await go(at, { headers: { accept: 'application/json' } })).json()) as {
    challenge: string;
    needsSignCertificate: boolean;
  };
  assert.equal(ask.needsSignCertificate, true);
  const call = (path: string, body: unknown) =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const req = request(new URL(path, b.url), {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString())));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const auth = await call('/v1/auth/sign', { challenge: ask.challenge, pin: '1234' });
  assert.equal(auth.origin, origin);
  const sign = await call('/v1/sign/sign', { challenge: ask.challenge, password: 'ABC123' });
  const proof = await go(`${at}/proof`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      challenge: ask.challenge,
      origin: auth.origin,
      certificate: auth.certificate,
      signature: auth.signature,
      signCertificate: sign.certificate,
      signSignature: sign.signature,
    }),
  });
  assert.equal(proof.status, 200, await proof.clone().text());
  let res = await go(((await proof.json()) as { redirectTo: string }).redirectTo);
  while (res.status === 303 && !res.headers.get('location')!.startsWith(REDIRECT)) {
    res = await go(new URL(res.headers.get('location')!, idp.baseUrl));
  }
  const tokens = await oidc.authorizationCodeGrant(config, new URL(res.headers.get('location')!), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  assert.equal(info.name, HOLDER.name);
  assert.deepEqual(info.address, { formatted: HOLDER.address });
});

test('a page of another origin gets nothing; a wrong PIN is kept in the card file', async () => {
  const other = await toBridge('/v1/auth/certificate', {}, 'https://phish.example');
  assert.equal(other.status, 403);
  assert.equal(other.body.code, 'BRIDGE_ORIGIN_REFUSED');
  const b = await startBridge({ card: cardFile, port: '0', 'allow-origin': [origin] }, quiet);
  after(() => b.close());
  const wrong = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(new URL('/v1/basic-info', b.url), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString())));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ pin: '9999' }));
  });
  assert.equal(wrong.code, 'BRIDGE_PIN_WRONG');
  const card = new MynaClient(new InProcessChannel(await loadCardFile(cardFile)));
  assert.equal(await card.pinTriesLeft('text'), 2, 'the spent try is in the file');
});

test('bridge: bad options are refused before anything listens', async () => {
  const both = await myna(['bridge', '--card', cardFile, '--reader', '0']);
  assert.equal(both.code, 2);
  const path = await myna([
    'bridge',
    '--card',
    cardFile,
    '--allow-origin',
    'https://x.example/path',
  ]);
  assert.equal(path.code, 2);
  assert.match(path.err, /origin is scheme/);
  const missing = await myna(['bridge', '--card', join(home, 'none.json')]);
  assert.equal(missing.code, 1);
});
