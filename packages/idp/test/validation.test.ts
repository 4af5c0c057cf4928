import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { JpkiIssuer } from '@myna-ap/pki';
import { CertificateValidator, CrlStore } from '../src/index.ts';
import { HOLDER, b64, makeCard, makeWorld } from './world.ts';

const w = await makeWorld();
const good = await makeCard(w);
const gone = await makeCard(w);
const goodSign = await good.signCertificate();
const goneSign = await gone.signCertificate();
const serial = (der: Uint8Array) => new X509Certificate(der).serialNumber;
await w.issuer.revoke(serial(goneSign), 'info-change');
await w.issuer.revoke(serial(gone.auth), 'lost');
// The CRL 方式 answers from what the CRL says: fetch the CRLs made after the revocations.
w.crls.install('auth', await w.issuer.crl('auth'));
w.crls.install('sign', await w.issuer.crl('sign'));

test('OCSP 方式: valid auth and sign certificates, answered by OCSP, with their use', async () => {
  const a = await w.validator.ocsp(good.auth);
  assert.equal(a.method, 'ocsp');
  assert.equal(a.requested, 'ocsp');
  assert.equal(a.use, 'auth');
  assert.deepEqual(a.result, { status: 'valid', checkedBy: 'ocsp' });
  assert.equal(a.fallbackReason, undefined);
  const s = await w.validator.ocsp(goodSign);
  assert.equal(s.use, 'sign');
  assert.equal(s.result.status, 'valid');
  assert.equal(s.infoMayHaveChanged, false);
});

test('a 署名用 certificate revoked for 記載事項変更 says the 4 info may have changed (both methods)', async () => {
  for (const a of [await w.validator.ocsp(goneSign), w.validator.crl(goneSign)]) {
    assert.equal(a.result.status, 'revoked');
    assert.equal(a.infoMayHaveChanged, true);
    assert.match(a.reason.ja, /記載事項変更/);
  }
  const lost = await w.validator.ocsp(gone.auth);
  assert.equal(lost.result.status, 'revoked');
  assert.equal(lost.infoMayHaveChanged, false, 'a lost card is not a change of the 4 info');
});

test('CRL 方式: local answers with no network, the same verdicts', () => {
  const ok = w.validator.crl(good.auth);
  assert.deepEqual(ok.result, { status: 'valid', checkedBy: 'crl' });
  assert.equal(ok.method, 'crl');
  assert.equal(w.validator.crl(gone.auth).result.status, 'revoked');
});

test('OCSP unreachable: the CRL answers, and the answer says so', async () => {
  const down = new CertificateValidator({
    trust: w.trust,
    crls: w.crls,
    ocspUrl: 'http://127.0.0.1:9/ocsp',
    ocspTimeoutMs: 1000,
  });
  const a = await down.ocsp(good.auth);
  assert.equal(a.requested, 'ocsp');
  assert.equal(a.method, 'crl');
  assert.match(a.fallbackReason ?? '', /unreachable/);
  assert.deepEqual(a.result, { status: 'valid', checkedBy: 'crl' });
  assert.equal((await down.ocsp(gone.auth)).result.status, 'revoked');
  // Without a CRL either: unavailable, never valid.
  const bare = new CertificateValidator({
    trust: w.trust,
    crls: new CrlStore(w.trust),
    ocspUrl: 'http://127.0.0.1:9/ocsp',
    ocspTimeoutMs: 1000,
  });
  const none = await bare.ocsp(good.auth);
  assert.equal(none.method, 'crl');
  assert.equal(none.result.status, 'unavailable');
  assert.match(none.reason.en, /no CRL of this CA/);
});

test('certificates of another CA, tampered, expired, or not yet valid are refused by both methods', async () => {
  const other = await JpkiIssuer.createInMemory(); // the same names, other keys
  const pub = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const foreign = await other.issueCardCertificates({
    authPublicKey: pub(),
    signPublicKey: pub(),
    holder: HOLDER,
  });
  assert.equal((await w.validator.ocsp(foreign.auth)).result.status, 'unknown-issuer');
  assert.equal(w.validator.crl(foreign.auth).result.status, 'unknown-issuer');
  const tampered = Uint8Array.from(good.auth);
  tampered[tampered.length - 5]! ^= 0x01;
  assert.equal(w.validator.crl(tampered).result.status, 'bad-signature');
  assert.equal(w.validator.crl(Uint8Array.of(0x30, 0x03, 1, 2, 3)).result.status, 'bad-signature');
  const notAfter = new Date(new X509Certificate(good.auth).validTo);
  w.setClock(new Date(notAfter.getTime() + 1000));
  try {
    const a = await w.validator.ocsp(good.auth);
    assert.equal(a.result.status, 'expired');
    assert.equal(w.validator.crl(good.auth).result.status, 'expired');
    w.setClock(new Date(2001, 0, 1));
    assert.equal(w.validator.crl(good.auth).result.status, 'not-yet-valid');
  } finally {
    w.setClock(undefined);
  }
});

test('a CRL of another CA, or a forged one, is not installed', async () => {
  const other = await JpkiIssuer.createInMemory();
  assert.throws(() => w.crls.install('auth', Uint8Array.of(0x30, 0x80, 0)), { code: 'BAD_CRL' });
  const foreign = await other.crl('auth'); // the same CA name, another key
  assert.throws(() => w.crls.install('auth', foreign), { code: 'CRL_WRONG_ISSUER' });
  assert.throws(() => w.crls.install('sign', foreign), { code: 'CRL_WRONG_ISSUER' });
  assert.throws(() => w.crls.install('nope', new Uint8Array(1)), /no trusted CA/);
  // the store still answers with its old index
  assert.equal(w.validator.crl(gone.auth).result.status, 'revoked');
});

test('a stale CRL answers unavailable, not valid', () => {
  const next = w.crls.status().find((s) => s.label === 'auth')!.nextUpdate!;
  w.setClock(new Date(next.getTime() + 1000));
  try {
    const a = w.validator.crl(good.auth);
    assert.equal(a.result.status, 'unavailable');
    assert.match(a.reason.ja, /失効情報を確認できません/);
  } finally {
    w.setClock(undefined);
  }
});

// ── over HTTP, with client credentials

const { secret } = await w.client({ clientId: 'lgwan-kiosk', scopes: ['validate'] });
const { secret: proofOnly } = await w.client({ clientId: 'proof-only', scopes: ['proof'] });

test('HTTP: OCSP 方式 for one certificate, CRL 方式 in bulk, with a client token', async () => {
  const token = await w.token('lgwan-kiosk', secret);
  const one = await w.app.inject({
    method: 'POST',
    url: '/v1/validate/ocsp',
    headers: { authorization: `Bearer ${token}` },
    payload: { certificate: b64(good.auth) },
  });
  assert.equal(one.statusCode, 200, one.body);
  assert.equal(one.json().method, 'ocsp');
  assert.equal(one.json().result.status, 'valid');
  const bulk = await w.app.inject({
    method: 'POST',
    url: '/v1/validate/crl',
    headers: { authorization: `Bearer ${token}` },
    payload: { certificates: [good.auth, gone.auth, goneSign, goodSign].map(b64) },
  });
  assert.equal(bulk.statusCode, 200, bulk.body);
  assert.deepEqual(
    bulk
      .json()
      .results.map(
        (r: { result: { status: string }; method: string }) => `${r.method}:${r.result.status}`,
      ),
    ['crl:valid', 'crl:revoked', 'crl:revoked', 'crl:valid'],
  );
  assert.equal(bulk.json().results[2].infoMayHaveChanged, true);
  const status = await w.app.inject({
    method: 'GET',
    url: '/v1/validate/crls',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.deepEqual(
    status.json().crls.map((c: { label: string }) => c.label),
    ['auth', 'sign'],
  );
});

test('HTTP: no token, a wrong secret, a scope not granted, bad bodies are refused with stable codes', async () => {
  const noToken = await w.app.inject({
    method: 'POST',
    url: '/v1/validate/ocsp',
    payload: { certificate: b64(good.auth) },
  });
  assert.equal(noToken.statusCode, 401);
  assert.equal(noToken.json().code, 'TOKEN_INVALID');
  const wrong = await w.app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      authorization: `Basic ${Buffer.from('lgwan-kiosk:nope').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'accept-language': 'ja',
    },
    payload: 'grant_type=client_credentials',
  });
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.json().code, 'CLIENT_AUTH_FAILED');
  assert.equal(wrong.json().error, 'invalid_client');
  assert.equal(wrong.json().message, 'クライアント認証に失敗しました');
  // least privilege: a proof client cannot validate, nor ask for a scope it lacks
  const proofToken = await w.token('proof-only', proofOnly);
  const denied = await w.app.inject({
    method: 'POST',
    url: '/v1/validate/ocsp',
    headers: { authorization: `Bearer ${proofToken}` },
    payload: { certificate: b64(good.auth) },
  });
  assert.equal(denied.statusCode, 403);
  assert.equal(denied.json().code, 'SCOPE_DENIED');
  await assert.rejects(w.token('proof-only', proofOnly, 'validate'), /403.*SCOPE_DENIED/);
  const token = await w.token('lgwan-kiosk', secret);
  const auth = { authorization: `Bearer ${token}` };
  const bad = [
    { url: '/v1/validate/ocsp', payload: { certificate: 'not base64!' } },
    { url: '/v1/validate/ocsp', payload: { certificate: b64(good.auth), extra: 1 } },
    { url: '/v1/validate/crl', payload: { certificates: [] } },
    { url: '/v1/validate/crl', payload: { certificates: Array(1001).fill('AAAA') } },
  ];
  for (const b of bad) {
    const r = await w.app.inject({ method: 'POST', url: b.url, headers: auth, payload: b.payload });
    assert.equal(r.statusCode, 400, `${b.url} ${r.body.slice(0, 200)}`);
    assert.equal(r.json().code, 'BAD_REQUEST');
    assert.ok(r.json().text.ja && r.json().text.en);
  }
  // garbage that is base64: a result, not an error
  const junk = await w.app.inject({
    method: 'POST',
    url: '/v1/validate/ocsp',
    headers: auth,
    payload: { certificate: 'AAAA' },
  });
  assert.equal(junk.statusCode, 200);
  assert.equal(junk.json().result.status, 'bad-signature');
});
