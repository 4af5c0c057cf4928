import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { JWT_BEARER } from '../src/index.ts';
import { makeWorld } from './world.ts';

const w = await makeWorld();
const { publicKey, privateKey } = await generateKeyPair('RS256');
const other = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
await w.client({ clientId: 'signed-client', scopes: ['validate'], jwks: { keys: [jwk] } });

function assertion(
  opts: { aud?: string; ttl?: number; key?: typeof privateKey; jti?: string; sub?: string } = {},
) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('signed-client')
    .setSubject(opts.sub ?? 'signed-client')
    .setAudience(opts.aud ?? `${w.issuerUrl}/token`)
    .setIssuedAt()
    .setExpirationTime(`${opts.ttl ?? 60}s`)
    .setJti(opts.jti ?? randomUUID())
    .sign(opts.key ?? privateKey);
}

async function tokenWith(jwt: string, extra: Record<string, string> = {}) {
  return w.app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: jwt,
      ...extra,
    }).toString(),
  });
}

test('private_key_jwt: a signed assertion gets a token with the client’s scopes', async () => {
  const r = await tokenWith(await assertion());
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().token_type, 'Bearer');
  assert.equal(r.json().scope, 'validate');
  assert.equal(r.headers['cache-control'], 'no-store');
});

test('private_key_jwt: replayed, wrong audience, too long-lived, wrong key, wrong subject are refused', async () => {
  const once = await assertion();
  assert.equal((await tokenWith(once)).statusCode, 200);
  const cases = {
    replayed: once,
    'other audience': await assertion({ aud: 'https://elsewhere.example/token' }),
    'an hour long': await assertion({ ttl: 3600 }),
    'another key': await assertion({ key: other.privateKey }),
    'unknown subject': await assertion({ sub: 'nobody' }),
    'not a JWT': 'abc.def',
  };
  for (const [what, jwt] of Object.entries(cases)) {
    const r = await tokenWith(jwt);
    assert.equal(r.statusCode, 401, what);
    assert.equal(r.json().error, 'invalid_client', what);
    assert.equal(r.json().code, 'CLIENT_AUTH_FAILED', what);
  }
  const wrongType = await tokenWith(await assertion(), { client_assertion_type: 'x' });
  assert.equal(wrongType.statusCode, 401);
});

test('token endpoint: no client authentication, another grant type', async () => {
  const none = await w.app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'CLIENT_AUTH_REQUIRED');
  const code = await tokenWith(await assertion(), { grant_type: 'authorization_code' });
  assert.equal(code.statusCode, 400);
  assert.equal(code.json().error, 'unsupported_grant_type');
});
