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
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { JpkiIssuer } from '@myna-ap/pki';
import {
  createCard,
  defaultCardIssuerDir,
  generateCardKeys,
  issuerCvCertificateEf,
  newCardIssuer,
  openOrCreateCardIssuer,
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
  // This machine's card issuer: the one the bridge checks cards against by default.
  cardIssuer: await openOrCreateCardIssuer(defaultCardIssuerDir()),
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

test('bridge: 券面事項確認AP internal authentication against this machine’s card issuer, or --card-issuer-cert', async () => {
  const face = { birthDate: HOLDER.birthDate, securityCode: made.secrets.securityCode };
  const ok = await toBridge('/v1/card-authentication', face, 'http://127.0.0.1:8390');
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.genuine, true);
  // Another card issuer's published certificate: this card is not one of its cards.
  const otherCert = join(home, 'other-issuer.cvc');
  await writeFile(otherCert, issuerCvCertificateEf(newCardIssuer()));
  const b = await startBridge(
    { card: cardFile, port: '0', 'allow-origin': [origin], 'card-issuer-cert': otherCert },
    quiet,
  );
  after(() => b.close());
  const res = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(new URL('/v1/card-authentication', b.url), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
    });
    req.on('response', (r) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString())));
    });
    req.on('error', reject);
    req.end(JSON.stringify(face));
  });
  assert.equal(res.code, 'BRIDGE_CARD_NOT_GENUINE');
  const unreadable = await myna([
    'bridge',
    '--card',
    cardFile,
    '--card-issuer-cert',
    join(home, 'none.cvc'),
  ]);
  assert.equal(unreadable.code, 1);
  assert.match(unreadable.err, /card-issuer-cert/);
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

// ── the signature API (scope sign)

const signBridge = await startBridge(
  { card: cardFile, port: '0', 'allow-origin': [origin] },
  quiet,
);
after(() => signBridge.close());
function bridgeCall(path: string, body: unknown) {
  return new Promise<Record<string, string>>((resolve, reject) => {
    const req = request(new URL(path, signBridge.url), {
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
}

/** A machine client with a secret that is also the relying party (one client id for both). */
const signer = await registerClient(idp.db, {
  clientId: 'e-contract',
  name: 'e-Contract',
  scopes: ['sign'],
  secret: true,
  redirectUris: [REDIRECT],
  jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] },
});
const signerConfig = await oidc.discovery(
  new URL(`${idp.baseUrl}/oidc`),
  'e-contract',
  undefined,
  oidc.PrivateKeyJwt(privateKey),
  { execute: [oidc.allowInsecureRequests] },
);
async function machine(secret: string, id = 'e-contract') {
  const res = await fetch(`${idp.baseUrl}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=sign',
  });
  const token = ((await res.json()) as { access_token: string }).access_token;
  return (path: string, body?: unknown) =>
    fetch(`${idp.baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

/** The holder's part of a sign flow; `tamper` changes the proof before it is posted. */
async function approve(txn: string, tamper?: (p: Record<string, string>) => void) {
  const go = browser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const start = await go(
    oidc.buildAuthorizationUrl(signerConfig, {
      redirect_uri: REDIRECT,
      scope: 'openid sign',
      sign_transaction: txn,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }),
  );
  const at = new URL(start.headers.get('location')!, idp.baseUrl);
  const askRes = await go(at, { headers: { accept: 'application/json' } });
  const ask = (await askRes.json()) as {
    code?: string;
    challenge: string;
    sign: { digest: string; digestInfo: string };
  };
  if (askRes.status !== 200) return { refused: ask.code };
  const auth = await bridgeCall('/v1/auth/sign', { challenge: ask.challenge, pin: '1234' });
  const sign = await bridgeCall('/v1/sign/sign', { challenge: ask.challenge, password: 'ABC123' });
  const doc = await bridgeCall('/v1/sign/sign', { digest: ask.sign.digest, password: 'ABC123' });
  const proof: Record<string, string> = {
    challenge: ask.challenge,
    origin: auth.origin!,
    certificate: auth.certificate!,
    signature: auth.signature!,
    signCertificate: sign.certificate!,
    signSignature: sign.signature!,
    transactionSignature: doc.signature!,
  };
  tamper?.(proof);
  const res = await go(`${at}/proof`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(proof),
  });
  const answer = (await res.json()) as { code?: string };
  return res.status === 200 ? { ask, done: true } : { ask, refused: answer.code };
}

test('signature API: a transaction approved with the 署名用 password; the signed result verifies, and openssl verifies the signature', async () => {
  const api = await machine(signer.secret!);
  const document = Buffer.from('契約書: 2026年12月7日 甲と乙は…\n');
  const digest = createHash('sha256').update(document).digest('base64');
  const created = await api('/v1/sign/transactions', { digest });
  assert.equal(created.status, 201);
  const txn = (await created.json()) as { id: string; authorization: { scope: string } };
  assert.equal(txn.authorization.scope, 'openid sign');
  const pending = (await (await api(`/v1/sign/transactions/${txn.id}`)).json()) as {
    status: string;
  };
  assert.equal(pending.status, 'pending');

  const r = await approve(txn.id);
  assert.equal(r.done, true, JSON.stringify(r));
  const got = (await (await api(`/v1/sign/transactions/${txn.id}`)).json()) as {
    status: string;
    result: string;
  };
  assert.equal(got.status, 'signed');
  // The platform's signed JWT, for this client, verified with the published keys.
  const jwks = createRemoteJWKSet(new URL(`${idp.baseUrl}/oidc/jwks`));
  const { payload } = await jwtVerify(got.result, jwks, {
    issuer: `${idp.baseUrl}/oidc`,
    audience: 'e-contract',
    typ: 'sign-result+jwt',
  });
  assert.equal(payload.txn, txn.id);
  assert.equal((payload.validation as { result: { status: string } }).result.status, 'valid');
  assert.equal((payload.validation as { use: string }).use, 'sign');

  // openssl checks the signature over the document with the returned certificate.
  const dir = await mkdtemp(join(tmpdir(), 'myna-sign-'));
  after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'doc.txt'), document);
  await writeFile(join(dir, 'sig.bin'), Buffer.from(payload.signature as string, 'base64'));
  await writeFile(join(dir, 'cert.der'), Buffer.from(payload.certificate as string, 'base64'));
  const run = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  const pub = run([
    'x509',
    '-inform',
    'DER',
    '-in',
    'cert.der',
    '-pubkey',
    '-noout',
    '-out',
    'pub.pem',
  ]);
  assert.equal(pub.status, 0, pub.stderr);
  const ok = run(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'doc.txt']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Verified OK/);
  await writeFile(join(dir, 'doc.txt'), Buffer.concat([document, Buffer.from('改ざん')]));
  const bad = run(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'doc.txt']);
  assert.notEqual(bad.status, 0, 'a changed document does not verify');

  // Signed once: a second approval of the same transaction is refused.
  assert.equal((await approve(txn.id)).refused, 'SIGN_TRANSACTION_DONE');
});

test('signature API: refusals — no transaction, another client’s, a bad digest, a signature of something else', async () => {
  const api = await machine(signer.secret!);
  assert.equal(
    ((await (await api('/v1/sign/transactions', { digest: 'AAAA' })).json()) as { code: string })
      .code,
    'SIGN_DIGEST_INVALID',
  );
  const both = await api('/v1/sign/transactions', {
    digest: Buffer.alloc(32).toString('base64'),
    digestInfo: Buffer.alloc(51).toString('base64'),
  });
  assert.equal(((await both.json()) as { code: string }).code, 'SIGN_DIGEST_INVALID');
  const badInfo = await api('/v1/sign/transactions', {
    digestInfo: Buffer.alloc(51).toString('base64'),
  });
  assert.equal(((await badInfo.json()) as { code: string }).code, 'SIGN_DIGEST_INVALID');

  const txn = (await (
    await api('/v1/sign/transactions', { digest: Buffer.alloc(32, 1).toString('base64') })
  ).json()) as { id: string };
  // Another client (with the sign scope too) cannot see it.
  const other = await registerClient(idp.db, {
    clientId: 'other-co',
    name: 'o',
    scopes: ['sign'],
    secret: true,
  });
  const otherApi = await machine(other.secret!, 'other-co');
  const seen = await otherApi(`/v1/sign/transactions/${txn.id}`);
  assert.equal(seen.status, 404);
  assert.equal(((await seen.json()) as { code: string }).code, 'SIGN_TRANSACTION_UNKNOWN');
  // The 署名用 key's signature of the challenge in place of the document's: refused, not stored.
  const swapped = await approve(txn.id, (p) => (p.transactionSignature = p.signSignature!));
  assert.equal(swapped.refused, 'SIGN_SIGNATURE_MISMATCH');
  assert.equal(
    ((await (await api(`/v1/sign/transactions/${txn.id}`)).json()) as { status: string }).status,
    'pending',
  );
  assert.equal((await approve('x'.repeat(32))).refused, 'SIGN_TRANSACTION_UNKNOWN');
});
