/**
 * `myna idp serve`, `myna idp client add` and `myna serve --idp`: the platform on
 * its own server and mounted on the loader's, with the test JPKI issuer made in a
 * temporary $MYNA_HOME, its OCSP responder in the process, and an emulated card.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { JpkiIssuer } from '@myna-ap/pki';
import { Card, createCard, generateCardKeys, newCardIssuer } from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { MynaClient } from '@myna-ap/access';
import { startServer } from '@myna-ap/loader';
import { proofSignedData, registerClient } from '@myna-ap/idp';
import { startIdp, mountFor, freePort } from '../src/commands/idp.ts';
import { myna } from './cliRun.ts';

const home = await mkdtemp(join(tmpdir(), 'myna-idp-cli-'));
after(() => rm(home, { recursive: true, force: true }));
process.env.MYNA_HOME = home;
process.env.MYNA_LANG = 'en';
delete process.env.DATABASE_URL;

// A card of the test issuer that `idp serve` will trust by default ($MYNA_HOME/pki).
const issuer = await JpkiIssuer.openOrInit(join(home, 'pki'));
const made = await createCard({
  holder: { name: '番号 太郎', address: '東京都千代田区1-1', birthDate: '1980-01-01', sex: '1' },
  certificates: issuer,
  keys: await generateCardKeys(),
  cardIssuer: newCardIssuer(),
  pin: '1234',
});
await issuer.close();
const card = new MynaClient(new InProcessChannel(Card.fromImage(made.image)));
const authCert = await card.readCertificate('auth');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

async function token(base: string, id: string, secret: string): Promise<string> {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { access_token: string }).access_token;
}

test('idp client add: a machine client with a secret (shown once), and the refusals', async () => {
  const dataDir = join(home, 'idp', 'db');
  const r = await myna([
    'idp',
    'client',
    'add',
    '--id',
    'city-hall',
    '--scope',
    'validate,proof',
    '--secret',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(r.out) as { clientId: string; scopes: string[]; secret: string };
  assert.deepEqual(c.scopes, ['validate', 'proof']);
  assert.match(c.secret, /^[A-Za-z0-9_-]{43}$/);
  await writeFile(join(home, 'secret'), c.secret);

  const again = await myna(['idp', 'client', 'add', '--id', 'city-hall', '--secret']);
  assert.equal(again.code, 1);
  assert.match(again.err, /CLIENT_EXISTS/);
  const badScope = await myna([
    'idp',
    'client',
    'add',
    '--id',
    'x-1',
    '--scope',
    'sudo',
    '--secret',
  ]);
  assert.equal(badScope.code, 2);
  assert.match(badScope.err, /--scope sudo/);
  const noAuth = await myna(['idp', 'client', 'add', '--id', 'x-2']);
  assert.equal(noAuth.code, 2);
  assert.match(noAuth.err, /--secret/);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  await writeFile(
    join(home, 'private.jwks'),
    JSON.stringify({ keys: [await exportJWK(privateKey)] }),
  );
  const priv = await myna([
    'idp',
    'client',
    'add',
    '--id',
    'x-3',
    '--jwks',
    join(home, 'private.jwks'),
  ]);
  assert.equal(priv.code, 1);
  assert.match(priv.err, /public keys/);
  const badUri = await myna([
    'idp',
    'client',
    'add',
    '--id',
    'x-4',
    '--secret',
    '--redirect-uri',
    'http://example.com/cb',
  ]);
  assert.equal(badUri.code, 1);
  assert.match(badUri.err, /redirect URI/);
  assert.equal((await stat(`${dataDir}`)).isDirectory(), true);
});

test('idp site add: a staffed, face-to-face 保証レベル1 site is declared; an online one is refused', async () => {
  const site = ['idp', 'site', 'add', '--client', 'city-hall', '--site', 'counter-1'];
  const ok = await myna([
    ...site,
    '--name',
    '市民課窓口',
    '--staffed',
    '--face-to-face',
    '--level',
    '1',
  ]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /counter-1/);
  const online = await myna([...site, '--name', 'web', '--level', '1']);
  assert.equal(online.code, 1);
  assert.match(online.err, /TOUCH_SITE_NOT_ALLOWED/);
  assert.match(online.err, /not staffed, not face-to-face/);
  const level2 = await myna([
    ...site,
    '--name',
    'x',
    '--staffed',
    '--face-to-face',
    '--level',
    '2',
  ]);
  assert.match(level2.err, /保証レベル 2/);
  const nobody = await myna([
    'idp',
    'site',
    'add',
    '--client',
    'nobody',
    '--site',
    's',
    '--name',
    'n',
    '--staffed',
    '--face-to-face',
    '--level',
    '1',
  ]);
  assert.match(nobody.err, /CLIENT_NOT_FOUND/);

  // Listed, then withdrawn; withdrawing again says there is no such site.
  const list = await myna(['idp', 'site', 'list', '--client', 'city-hall']);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^counter-1 {2}市民課窓口$/m);
  const json = await myna(['idp', 'site', 'list', '--client', 'city-hall', '--json']);
  assert.deepEqual(JSON.parse(json.out), [
    { siteId: 'counter-1', name: '市民課窓口', staffed: true, faceToFace: true, assuranceLevel: 1 },
  ]);
  const removed = await myna([
    'idp',
    'site',
    'remove',
    '--client',
    'city-hall',
    '--site',
    'counter-1',
  ]);
  assert.equal(removed.code, 0, removed.err);
  assert.match(removed.out, /withdrawn: touches there are refused/);
  const none = await myna(['idp', 'site', 'list', '--client', 'city-hall']);
  assert.match(none.out, /no site declared/);
  const twice = await myna([
    'idp',
    'site',
    'remove',
    '--client',
    'city-hall',
    '--site',
    'counter-1',
  ]);
  assert.equal(twice.code, 1);
  assert.match(twice.err, /TOUCH_SITE_UNDECLARED/);
});

test('idp serve: the test issuer said at start, a key file made 0600, the machine API validating a card', async () => {
  const secret = (await import('node:fs')).readFileSync(join(home, 'secret'), 'utf8');
  const o = io();
  const running = await startIdp({ port: '0' }, o.io);
  try {
    const said = o.out.join('\n');
    assert.match(said, /TEST JPKI issuer/);
    assert.match(said, /keys: made .*keys\.json/);
    assert.equal((await stat(join(home, 'idp', 'keys.json'))).mode & 0o777, 0o600);
    const tok = await token(running.baseUrl, 'city-hall', secret);
    const v = await fetch(`${running.baseUrl}/v1/validate/ocsp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: b64(authCert) }),
    });
    const answer = (await v.json()) as { method: string; result: { status: string }; use: string };
    assert.equal(v.status, 200);
    assert.equal(answer.method, 'ocsp');
    assert.equal(answer.use, 'auth');
    assert.equal(answer.result.status, 'valid');
    const bulk = await fetch(`${running.baseUrl}/v1/validate/crl`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
      body: JSON.stringify({ certificates: [b64(authCert)] }),
    });
    assert.equal(
      ((await bulk.json()) as { results: { method: string }[] }).results[0]!.method,
      'crl',
    );
    const d = await fetch(`${running.baseUrl}/oidc/.well-known/openid-configuration`);
    assert.equal(((await d.json()) as { issuer: string }).issuer, `${running.baseUrl}/oidc`);
  } finally {
    await running.close();
  }
  // The same key file at the next start; a second server on the same database is refused.
  const o2 = io();
  const second = await startIdp({ port: '0' }, o2.io);
  try {
    assert.match(o2.out.join('\n'), /keys: \/.*keys\.json$/m);
    await assert.rejects(startIdp({ port: '0' }, io().io), /DATA_DIR_IN_USE/);
  } finally {
    await second.close();
  }
});

test('idp serve: a key file that is not ours is refused, not replaced', async () => {
  const bad = join(home, 'bad-keys.json');
  await writeFile(bad, '{"version":1}');
  await assert.rejects(
    startIdp({ port: '0', keys: bad, 'data-dir': join(home, 'db-bad') }, io().io),
    /KEY_FILE_INVALID|unusable/,
  );
  assert.equal(readFileSync(bad, 'utf8'), '{"version":1}', 'left as it was');
  await assert.rejects(
    startIdp({ port: '0', jpki: join(home, 'nowhere') }, io().io),
    /JPKI issuer/,
  );
});

test('serve --idp: the platform at /idp of the loader’s server; openid-client signs in through the mount', async () => {
  const port = await freePort('127.0.0.1');
  const o = io();
  const platform = await mountFor({}, port, o.io);
  const server = await startServer({
    port,
    dataDir: join(home, 'loader-db'),
    keysFile: join(home, 'loader-keys.json'),
    mounts: [platform.mount],
  });
  after(async () => {
    await server.close();
    await platform.close();
  });
  const base = `http://127.0.0.1:${port}/idp`;
  assert.match(o.out.join('\n'), new RegExp(`mounted at ${base}`));
  // The loader's own API is still there, and its 404 is the loader's.
  assert.equal((await fetch(`http://127.0.0.1:${port}/openapi.json`)).status, 200);
  // The mount is public to the operator hook; the loader's routes are not.
  assert.equal((await fetch(`http://127.0.0.1:${port}/v1/providers`)).status, 401);
  assert.equal((await fetch(`${base}/v1/validate/crls`)).status, 401, 'the idp’s own token check');
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  await registerClient(server.db, {
    clientId: 'city-portal',
    name: 'City portal',
    scopes: [],
    redirectUris: ['http://127.0.0.1:9/cb'],
    jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] },
  });
  const config = await oidc.discovery(
    new URL(`${base}/oidc`),
    'city-portal',
    undefined,
    oidc.PrivateKeyJwt(privateKey),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const jar = new Map<string, string>();
  const go = async (url: string | URL, init: RequestInit = {}) => {
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
  const start = await go(
    oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:9/cb',
      scope: 'openid',
      acr_values: 'aal3',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }),
  );
  assert.equal(start.status, 303, await start.clone().text());
  const at = new URL(start.headers.get('location')!, base);
  assert.match(at.pathname, /^\/idp\/oidc\/interaction\//);
  const ask = (await (await go(at, { headers: { accept: 'application/json' } })).json()) as {
    challenge: string;
    origin: string;
  };
  assert.equal(ask.origin, `http://127.0.0.1:${port}`);
  await card.verifyPin('auth', '1234');
  const signature = await card.sign('auth', {
    hash: 'sha256',
    data: proofSignedData(ask.origin, ask.challenge),
  });
  const proof = await go(`${at}/proof`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      challenge: ask.challenge,
      origin: ask.origin,
      certificate: b64(authCert),
      signature: b64(signature),
    }),
  });
  assert.equal(proof.status, 200, await proof.clone().text());
  let res = await go(((await proof.json()) as { redirectTo: string }).redirectTo);
  while (res.status === 303 && !res.headers.get('location')!.startsWith('http://127.0.0.1:9/')) {
    res = await go(new URL(res.headers.get('location')!, base));
  }
  const tokens = await oidc.authorizationCodeGrant(config, new URL(res.headers.get('location')!), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  assert.equal(tokens.claims()!.acr, 'aal3');
  assert.match(tokens.claims()!.sub, /^[A-Za-z0-9_-]{43}$/);
  // The idp's tables went into the loader's database under their own owner.
  const { rows } = await server.db.query<{ owner: string }>(
    "SELECT DISTINCT owner FROM schema_migrations WHERE owner = 'idp'",
  );
  assert.equal(rows.length, 1);
});
