/**
 * API clients that sign JWT assertions (private_key_jwt, RFC 7523) instead of
 * holding a secret, and the token endpoint's rate limit. The pure rules first
 * (which keys, which claims, at their boundaries), then through HTTP: a good
 * assertion gets a token that reads the feed; a replayed, expired, borrowed or
 * badly aimed one is refused with a reason and an audit row; a secret client
 * cannot use an assertion nor a key client a secret; a flood gets 429.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportSPKI, type CryptoKey as JoseKey } from 'jose';
import { buildServer } from '../src/http/server.ts';
import { createApiClient } from '../src/store/apiClients.ts';
import {
  CLOCK_SKEW_S,
  JWT_BEARER,
  MAX_ASSERTION_LIFETIME_S,
  checkAssertionClaims,
  clientPublicKey,
} from '../src/domain/clientAssertion.ts';
import { providerId } from '../src/domain/ids.ts';
import { world } from './cardWorld.ts';

const ID = 'cl_0123456789abcdef01234567';
const AUD = 'https://loader.example.lg.jp/v1/oauth/token';
const NOW = 1_800_000_000;
const good = { iss: ID, sub: ID, aud: AUD, exp: NOW + 120, iat: NOW, jti: 'j-1' };
const claims = (over: Record<string, unknown>) =>
  checkAssertionClaims({ ...good, ...over }, { clientId: ID, audience: AUD, nowS: NOW });
const refused = (over: Record<string, unknown>) => {
  const r = claims(over);
  return r.ok ? 'accepted' : r.refused;
};

test('assertion claims: each rule at its boundary', () => {
  assert.deepEqual(claims({}), { ok: true, jti: 'j-1', expS: NOW + 120 });
  assert.equal(
    refused({ aud: [AUD, 'https://other'] }),
    'accepted',
    'aud may be a list holding us',
  );
  assert.equal(refused({ iss: 'cl_ffffffffffffffffffffffff' }), 'issuer');
  assert.equal(refused({ sub: 'someone' }), 'subject');
  assert.equal(refused({ aud: 'https://loader.example.lg.jp/v1/oauth/token/' }), 'audience');
  assert.equal(refused({ aud: ['https://other'] }), 'audience');
  assert.equal(refused({ aud: undefined }), 'audience');
  assert.equal(refused({ exp: undefined }), 'no_expiry');
  assert.equal(refused({ exp: String(NOW + 60) }), 'no_expiry');
  // Expired: exp + skew at or before now; one second later it still counts.
  assert.equal(refused({ exp: NOW - CLOCK_SKEW_S, iat: NOW - 200 }), 'expired');
  assert.equal(refused({ exp: NOW - CLOCK_SKEW_S + 1, iat: NOW - 200 }), 'accepted');
  // Lifetime: exactly 5 minutes is allowed, a second more is not; without iat, from now.
  assert.equal(refused({ exp: NOW + MAX_ASSERTION_LIFETIME_S }), 'accepted');
  assert.equal(refused({ exp: NOW + MAX_ASSERTION_LIFETIME_S + 1 }), 'too_long');
  assert.equal(refused({ iat: undefined, exp: NOW + MAX_ASSERTION_LIFETIME_S + 1 }), 'too_long');
  assert.equal(refused({ iat: undefined, exp: NOW + 10 }), 'accepted');
  // iat and nbf in the future beyond the skew are refused; within it they pass.
  assert.equal(refused({ iat: NOW + CLOCK_SKEW_S + 1, exp: NOW + 200 }), 'issued_in_future');
  assert.equal(refused({ iat: NOW + CLOCK_SKEW_S, exp: NOW + 200 }), 'accepted');
  assert.equal(refused({ nbf: NOW + CLOCK_SKEW_S + 1 }), 'not_yet');
  assert.equal(refused({ nbf: NOW + CLOCK_SKEW_S }), 'accepted');
  assert.equal(refused({ jti: undefined }), 'no_jti');
  assert.equal(refused({ jti: '' }), 'no_jti');
  assert.equal(refused({ jti: 'x'.repeat(201) }), 'no_jti');
  assert.equal(refused({ jti: 'x'.repeat(200) }), 'accepted');
});

test('client keys: EC P-256 and RSA >= 2048 as PEM or JWK; everything else refused', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const fromPem = clientPublicKey(pem);
  assert.ok('jwk' in fromPem);
  assert.deepEqual(fromPem.algorithms, ['ES256']);
  assert.deepEqual(Object.keys(fromPem.jwk).sort(), ['crv', 'kty', 'x', 'y']);
  const fromJwk = clientPublicKey(JSON.stringify(ec.publicKey.export({ format: 'jwk' })));
  assert.deepEqual(fromJwk, fromPem);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const r = clientPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  assert.ok('jwk' in r);
  assert.deepEqual(r.algorithms, ['RS256', 'PS256']);
  const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pemOf = (k: { export(o: object): string | Buffer }) =>
    k.export({ type: 'spki', format: 'pem' }).toString();
  assert.deepEqual(clientPublicKey(pemOf(short.publicKey)), { refused: 'rsa_too_short' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  assert.deepEqual(clientPublicKey(pemOf(p384.publicKey)), { refused: 'unsupported_key' });
  const ed = generateKeyPairSync('ed25519');
  assert.deepEqual(clientPublicKey(pemOf(ed.publicKey)), { refused: 'unsupported_key' });
  const privatePem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  assert.deepEqual(clientPublicKey(privatePem), { refused: 'private_key' });
  assert.deepEqual(clientPublicKey(JSON.stringify(ec.privateKey.export({ format: 'jwk' }))), {
    refused: 'private_key',
  });
  assert.deepEqual(clientPublicKey('not a key'), { refused: 'not_a_public_key' });
  assert.deepEqual(clientPublicKey('{"kty":"EC"}'), { refused: 'not_a_public_key' });
});

async function setup() {
  const w = await world();
  const app = buildServer(w.ctx);
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = await exportSPKI(keys.publicKey as unknown as JoseKey);
  const { client, secret } = await createApiClient(w.ctx, w.admin, {
    providerId: providerId('CHIYODA'),
    name: '図書館システム',
    publicKey,
  });
  assert.equal(secret, undefined, 'a key client has no secret');
  assert.equal(client.authMethod, 'private_key_jwt');
  const host = 'loader.example.lg.jp';
  const aud = `http://${host}/v1/oauth/token`;
  let n = 0;
  const sign = (over: Record<string, unknown> = {}, key = keys.privateKey, alg = 'ES256') => {
    const now = Math.floor(w.ctx.now().getTime() / 1000);
    const c = { iss: client.id, sub: client.id, aud, iat: now, exp: now + 60, jti: `j${++n}` };
    return new SignJWT({ ...c, ...over })
      .setProtectedHeader({ alg })
      .sign(key as unknown as JoseKey);
  };
  const token = async (form: Record<string, string>, address = '10.0.0.1') => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
      remoteAddress: address,
      payload: new URLSearchParams(form).toString(),
    });
    return { status: r.statusCode, json: JSON.parse(r.body), headers: r.headers };
  };
  const assertion = (jwt: string) => ({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER,
    client_assertion: jwt,
  });
  return { w, app, client, keys, sign, token, assertion };
}

test('private_key_jwt: a signed assertion gets a token that reads the feed; each bad one is refused and audited', async (t) => {
  const s = await setup();
  t.after(async () => {
    await s.app.close();
    await s.w.db.close();
  });
  const jwt = await s.sign();
  const ok = await s.token(s.assertion(jwt));
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.headers['cache-control'], 'no-store');
  const feed = await s.app.inject({
    method: 'GET',
    url: '/v1/feed',
    headers: { authorization: `Bearer ${ok.json.access_token}` },
  });
  assert.equal(feed.statusCode, 200, feed.body);

  const why = async (form: Record<string, string>) => {
    const r = await s.token(form);
    assert.equal(r.status, 401, JSON.stringify(r.json));
    assert.equal(r.json.code, 'CLIENT_AUTH_FAILED');
    return r.json.message.en as string;
  };
  assert.match(await why(s.assertion(jwt)), /already used/, 'the same jti twice');
  assert.match(
    await why(s.assertion(await s.sign({ aud: 'http://elsewhere/v1/oauth/token' }))),
    /aud/,
  );
  const past = Math.floor(s.w.ctx.now().getTime() / 1000) - 1000;
  assert.match(await why(s.assertion(await s.sign({ iat: past, exp: past + 60 }))), /expired/);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.match(await why(s.assertion(await s.sign({}, other.privateKey))), /signature/);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assert.match(await why(s.assertion(await s.sign({}, rsa.privateKey, 'RS256'))), /signature/);
  // alg none: a JWT anyone can write.
  const head = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
  const now = Math.floor(s.w.ctx.now().getTime() / 1000);
  const body = Buffer.from(
    JSON.stringify({ iss: s.client.id, sub: s.client.id, aud: 'x', exp: now + 60, jti: 'n' }),
  ).toString('base64url');
  assert.match(await why(s.assertion(`${head}.${body}.`)), /signature/);
  assert.match(await why(s.assertion('garbage')), /unknown API client/);
  // The assertion comes alone: with a secret, another client_id or a wrong type it is refused.
  assert.match(
    await why({ ...s.assertion(await s.sign()), client_secret: 'mynacs_x' }),
    /comes alone/,
  );
  assert.match(
    await why({ ...s.assertion(await s.sign()), client_id: 'cl_ffffffffffffffffffffffff' }),
    /comes alone/,
  );
  assert.match(
    await why({ ...s.assertion(await s.sign()), client_assertion_type: 'jwt' }),
    /comes alone/,
  );
  // A key client has no secret to give.
  assert.equal(
    (
      await s.token({
        grant_type: 'client_credentials',
        client_id: s.client.id,
        client_secret: 'mynacs_' + 'A'.repeat(43),
      })
    ).status,
    401,
  );
  // A secret client cannot switch to assertions.
  const secretClient = await createApiClient(s.w.ctx, s.w.admin, {
    providerId: providerId('CHIYODA'),
    name: '旧システム',
  });
  assert.equal(secretClient.client.authMethod, 'client_secret');
  const foreign = await s.sign({ iss: secretClient.client.id, sub: secretClient.client.id });
  assert.match(await why(s.assertion(foreign)), /authenticates with its secret/);

  const audit = await s.w.db.query<{
    action: string;
    detail: { reason?: string; method?: string };
  }>("SELECT action, detail FROM audit_log WHERE action LIKE 'client.token%' ORDER BY seq");
  const reasons = audit.rows.map((r) => `${r.action}:${r.detail.reason ?? r.detail.method}`);
  assert.deepEqual(reasons.slice(0, 5), [
    'client.token:private_key_jwt',
    'client.token_refused:replayed',
    'client.token_refused:audience',
    'client.token_refused:expired',
    'client.token_refused:signature',
  ]);
  assert.ok(reasons.includes('client.token_refused:key_client'));
  assert.ok(reasons.includes('client.token_refused:secret_client'));
  assert.ok(
    !JSON.stringify(audit.rows).includes(jwt.split('.')[2]!),
    'no assertion in the audit log',
  );
});

test('token endpoint: 20 requests per client and 60 per address in 5 minutes, then 429 with Retry-After', async (t) => {
  const s = await setup();
  t.after(async () => {
    await s.app.close();
    await s.w.db.close();
  });
  for (let i = 0; i < 20; i++) {
    assert.equal((await s.token(s.assertion(await s.sign()))).status, 200, `request ${i + 1}`);
  }
  const limited = await s.token(s.assertion(await s.sign()));
  assert.equal(limited.status, 429, JSON.stringify(limited.json));
  assert.equal(limited.json.code, 'CLIENT_RATE_LIMITED');
  assert.match(limited.json.message.ja, /トークン要求が多すぎます/);
  assert.equal(limited.headers['retry-after'], '300');
  // Another client from another address is not held back by this one.
  const other = await s.token(
    {
      grant_type: 'client_credentials',
      client_id: 'cl_ffffffffffffffffffffffff',
      client_secret: 'x',
    },
    '10.0.0.2',
  );
  assert.equal(other.status, 401);
  // Per address: guessing many client ids from one address stops at 60.
  let last = 0;
  for (let i = 0; i < 61; i++) {
    const id = `cl_${i.toString(16).padStart(24, '0')}`;
    last = (
      await s.token(
        { grant_type: 'client_credentials', client_id: id, client_secret: 'x' },
        '10.0.0.3',
      )
    ).status;
  }
  assert.equal(last, 429);
  // Five minutes later the client may ask again.
  s.w.setNow(new Date(s.w.ctx.now().getTime() + 5 * 60_000));
  assert.equal((await s.token(s.assertion(await s.sign()))).status, 200);
  const rows = await s.w.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action = 'client.token_rate_limited'",
  );
  assert.equal(rows.rows[0]!.n, 2);
});
