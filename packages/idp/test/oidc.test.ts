/**
 * The OIDC provider against a real relying party, openid-client 6: the
 * authorization code flow with PKCE S256 and private_key_jwt, the holder's card
 * (emulated, certificates from the real test JPKI issuer) answering the
 * platform's challenge as the bridge would, pairwise `sub`, 4 info claims from
 * the 署名用 certificate, and the refusals.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { makeOidcProvider, oidcPlugin, registerClient, proofSignedData } from '../src/index.ts';
import { HOLDER, b64, makeCard, makeWorld } from './world.ts';

const w = await makeWorld();
const card = await makeCard(w);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const port = await freePort();
const issuer = `http://127.0.0.1:${port}/oidc`;
const { privateKey: idKey } = await generateKeyPair('RS256', { extractable: true });
const provider = makeOidcProvider({
  issuer,
  db: w.db,
  holders: w.holders,
  signingKeys: [{ ...(await exportJWK(idKey)), alg: 'RS256', use: 'sig', kid: 'id-1' } as JWK],
  cookieKeys: [randomBytes(32).toString('base64url')],
});
const app = Fastify();
await app.register(oidcPlugin, { provider, db: w.db, validator: w.validator, holders: w.holders });
await app.listen({ port, host: '127.0.0.1' });
after(() => app.close());

const REDIRECT = 'http://127.0.0.1:9/cb';

/** A relying party registered by the administrator, and its openid-client configuration. */
async function relyingParty(clientId: string, sector: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  await registerClient(w.db, {
    clientId,
    name: clientId,
    sector,
    scopes: [],
    redirectUris: [REDIRECT],
    jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] },
  });
  const config = await oidc.discovery(
    new URL(issuer),
    clientId,
    undefined,
    oidc.PrivateKeyJwt(privateKey),
    { execute: [oidc.allowInsecureRequests] },
  );
  return { clientId, config };
}
const city = await relyingParty('city-portal', 'city');
const bank = await relyingParty('bank-web', 'bank');

/** The holder's browser: follows nothing by itself, keeps the provider's cookies. */
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

/** What the sign-in page gets from GET {mount}/interaction/:uid. */
interface Ask {
  challenge: string;
  origin: string;
  scopes: string[];
  needsSignCertificate: boolean;
}

interface SignInOptions {
  scope?: string;
  nonce?: string | null;
  state?: string | null;
  pkce?: boolean;
  redirectUri?: string;
  withSignCertificate?: boolean;
  acrValues?: string;
  /** Changes the proof before it is posted (the bad cases). */
  tamper?: (body: Record<string, string>) => void;
}

/** The authorization request up to the provider's answer to it. */
async function authorize(rp: typeof city, o: SignInOptions = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = o.state === undefined ? oidc.randomState() : o.state;
  const nonce = o.nonce === undefined ? oidc.randomNonce() : o.nonce;
  const params: Record<string, string> = {
    redirect_uri: o.redirectUri ?? REDIRECT,
    scope: o.scope ?? 'openid',
    acr_values: o.acrValues ?? 'aal3',
    ...(state ? { state } : {}),
    ...(nonce ? { nonce } : {}),
    ...(o.pkce === false
      ? {}
      : {
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        }),
  };
  const go = browser();
  const res = await go(oidc.buildAuthorizationUrl(rp.config, params));
  return { go, res, verifier, state, nonce };
}

/** The holder's part: read the challenge, sign with the card (PIN), post, come back. */
async function signIn(rp: typeof city, o: SignInOptions = {}) {
  const a = await authorize(rp, o);
  assert.equal(a.res.status, 303, await a.res.clone().text());
  const at = new URL(a.res.headers.get('location')!, issuer);
  const ask = (await (await a.go(at, { headers: { accept: 'application/json' } })).json()) as Ask;
  const body: Record<string, string> = {
    challenge: ask.challenge,
    origin: ask.origin,
    certificate: b64(card.auth),
    signature: b64(await card.sign(ask.origin, ask.challenge)),
  };
  if (o.withSignCertificate) {
    body.signCertificate = b64(await card.signCertificate());
    body.signSignature = b64(
      await card.myna.sign('sign', {
        hash: 'sha256',
        data: proofSignedData(ask.origin, ask.challenge),
      }),
    );
  }
  o.tamper?.(body);
  const proof = await a.go(`${at}/proof`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await proof.json()) as { redirectTo: string; validation: string; code?: string };
  if (proof.status !== 200) return { ask, refused: answer };
  let res = await a.go(answer.redirectTo);
  while (res.status === 303 && !res.headers.get('location')!.startsWith(REDIRECT)) {
    res = await a.go(new URL(res.headers.get('location')!, issuer));
  }
  const back = new URL(res.headers.get('location')!);
  const tokens = await oidc.authorizationCodeGrant(rp.config, back, {
    pkceCodeVerifier: a.verifier,
    expectedState: a.state ?? oidc.skipStateCheck,
    ...(a.nonce ? { expectedNonce: a.nonce } : {}),
  });
  return { ask, tokens, claims: tokens.claims()!, validatedBy: answer.validation };
}

test('openid-client signs in with PKCE and private_key_jwt; sub is pairwise, stable, not the serial', async () => {
  const first = await signIn(city);
  assert.equal(first.ask.origin, `http://127.0.0.1:${port}`);
  assert.deepEqual(first.ask.scopes, ['openid']);
  const again = await signIn(city);
  const other = await signIn(bank);
  assert.ok(first.claims);
  assert.equal(first.claims.acr, 'aal3');
  assert.equal(first.validatedBy, 'ocsp');
  assert.equal(first.claims.sub, again.claims!.sub, 'the same sub at the same service');
  assert.notEqual(first.claims.sub, other.claims!.sub, 'another sub at another service');
  const serial = new (await import('node:crypto')).X509Certificate(card.auth).serialNumber;
  for (const s of [first.claims.sub, other.claims!.sub]) {
    assert.ok(!s.toUpperCase().includes(serial.toUpperCase()));
  }
  // The sub is the same PPID the service's machine API (/v1/proof/verify) would give.
  const { rows } = await w.db.query<{ holder_id: Uint8Array }>('SELECT holder_id FROM idp_holders');
  assert.equal(rows.length, 1);
  assert.equal(first.claims.sub, w.holders.ppid('city', rows[0]!.holder_id));
  const info = await oidc.fetchUserInfo(city.config, first.tokens!.access_token, first.claims.sub);
  assert.deepEqual(Object.keys(info), ['sub']);
});

test('the 4 info come from the 署名用 certificate, only for the scopes asked', async () => {
  const r = await signIn(city, {
    scope: 'openid name birthdate gender',
    withSignCertificate: true,
  });
  assert.ok(r.ask.needsSignCertificate);
  // An access token was issued, so the claims are at the userinfo endpoint (the ID
  // token carries sub and acr only: oidc-provider's conform mode).
  assert.equal(r.claims!.name, undefined);
  const info = await oidc.fetchUserInfo(city.config, r.tokens!.access_token, r.claims!.sub);
  assert.equal(info.name, HOLDER.name);
  assert.equal(info.birthdate, HOLDER.birthDate);
  assert.equal(info.gender, 'female');
  assert.equal(info.address, undefined, 'not asked for');
});

test('acr_values crl: the holder’s certificate is checked by the CRL 方式', async () => {
  const r = await signIn(city, { acrValues: 'crl' });
  assert.equal(r.validatedBy, 'crl');
  assert.equal(r.claims!.acr, 'aal3');
});

test('4 info asked for but no 署名用 certificate given: refused', async () => {
  const r = await signIn(city, { scope: 'openid address' });
  assert.equal(r.refused?.code, 'SIGN_CERT_REQUIRED');
});

test('4 info: the auth certificate in its place, or a signature not by the 署名用 key: refused', async () => {
  const scope = 'openid name';
  const asSign = await signIn(city, {
    scope,
    withSignCertificate: true,
    tamper: (b) => (b.signCertificate = b.certificate!),
  });
  assert.equal(asSign.refused?.code, 'CERT_NOT_SIGN');
  const byAuthKey = await signIn(city, {
    scope,
    withSignCertificate: true,
    tamper: (b) => (b.signSignature = b.signature!),
  });
  assert.equal(byAuthKey.refused?.code, 'PROOF_BAD_SIGNATURE');
});

test('no state, no nonce, no PKCE: sent back to the client with invalid_request; a wrong redirect URI is not followed', async () => {
  for (const [o, code] of [
    [{ state: null }, 'OIDC_STATE_REQUIRED'],
    [{ nonce: null }, 'OIDC_NONCE_REQUIRED'],
    [{ pkce: false }, 'PKCE'],
  ] as const) {
    const { res } = await authorize(city, o);
    assert.equal(res.status, 303);
    const back = new URL(res.headers.get('location')!);
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description') ?? '', new RegExp(code));
  }
  const { res } = await authorize(city, { redirectUri: 'http://127.0.0.1:9/other' });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_redirect_uri');
});

test('an interaction needs its own browser, and its challenge cannot be replayed', async () => {
  const a = await authorize(city);
  const at = new URL(a.res.headers.get('location')!, issuer);
  const stranger = browser();
  const r = await stranger(at, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 404);
  assert.equal(((await r.json()) as { code: string }).code, 'INTERACTION_UNKNOWN');
  const ask = (await (await a.go(at)).json()) as Ask;
  const body = JSON.stringify({
    challenge: ask.challenge,
    origin: ask.origin,
    certificate: b64(card.auth),
    signature: b64(await card.sign(ask.origin, ask.challenge)),
  });
  const post = () =>
    a.go(`${at}/proof`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal((await post()).status, 200);
  const replay = await post();
  assert.equal(((await replay.json()) as { code: string }).code, 'CHALLENGE_USED');
});
