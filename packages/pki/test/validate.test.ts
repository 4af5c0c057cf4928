import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import {
  CrlIndex,
  CrlParseError,
  CrlTrustError,
  JpkiIssuer,
  MAX_OCSP_RESPONSE,
  startPkiServer,
  validateWithCrl,
  validateWithOcsp,
  type TrustAnchors,
} from '@myna-ap/pki';

const holder = {
  name: '番号 四郎',
  address: '福岡県福岡市中央区1-1',
  birthDate: '2001-05-05',
  sex: '1',
} as const;
const pub = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const issuer = await JpkiIssuer.createInMemory();
const other = await JpkiIssuer.createInMemory(); // same DNs, other keys
const trust: TrustAnchors = {
  root: issuer.rootCertificate,
  cas: [issuer.authCaCertificate, issuer.signCaCertificate],
};
const soon = new Date(Date.now() + 5000);
const good = await issuer.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
});
const gone = await issuer.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
});
const foreign = await other.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
});
await issuer.revoke(new X509Certificate(gone.sign).serialNumber, 'info-change');
const server = await startPkiServer(issuer, { port: 0 });
after(() => server.close());
const url = `${server.url}/ocsp`;

test('OCSP: valid, revoked with reason and date', async () => {
  assert.deepEqual(await validateWithOcsp(good.sign, trust, { url }, soon), {
    status: 'valid',
    checkedBy: 'ocsp',
  });
  assert.deepEqual(await validateWithOcsp(good.auth, trust, { url }, soon), {
    status: 'valid',
    checkedBy: 'ocsp',
  });
  const r = await validateWithOcsp(gone.sign, trust, { url }, soon);
  assert.equal(r.status, 'revoked');
  assert.ok(r.status === 'revoked' && r.reason === 3 && r.revokedAt <= new Date());
  assert.equal(
    (await validateWithOcsp(gone.auth, trust, { url }, soon)).status,
    'valid',
    'auth survives an info change',
  );
});

test('CRL index: the same answers, locally', async () => {
  const idx = CrlIndex.fromCrl(await issuer.crl('sign'));
  assert.deepEqual(validateWithCrl(good.sign, trust, idx, soon), {
    status: 'valid',
    checkedBy: 'crl',
  });
  assert.equal(validateWithCrl(gone.sign, trust, idx, soon).status, 'revoked');
});

test('chain failures: unknown issuer, bad signature, expired, not yet valid', async () => {
  assert.equal(
    (await validateWithOcsp(foreign.sign, trust, { url }, soon)).status,
    'unknown-issuer',
  );
  const tampered = Uint8Array.from(good.auth);
  tampered[tampered.length - 10] = tampered[tampered.length - 10]! ^ 0xff;
  assert.equal((await validateWithOcsp(tampered, trust, { url }, soon)).status, 'bad-signature');
  const later = new Date(new X509Certificate(good.sign).validTo).getTime() + 1000;
  assert.equal(
    (await validateWithOcsp(good.sign, trust, { url }, new Date(later))).status,
    'expired',
  );
  assert.equal(
    (await validateWithOcsp(good.sign, trust, { url }, new Date(2000, 0, 1))).status,
    'not-yet-valid',
  );
  assert.equal(
    validateWithCrl(Uint8Array.of(1, 2, 3), trust, CrlIndex.fromCrl(await issuer.crl('auth')))
      .status,
    'bad-signature',
  );
});

test('OCSP trouble is "unavailable", never "valid": replayed answer, unreachable, garbage, another responder', async () => {
  let captured: Uint8Array | undefined;
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    captured = new Uint8Array(await res.arrayBuffer());
    return new Response(captured, { status: res.status, headers: res.headers });
  };
  assert.equal(
    (await validateWithOcsp(good.sign, trust, { url, fetch: recording }, soon)).status,
    'valid',
  );
  const replay: typeof fetch = async () => new Response(captured);
  const replayed = await validateWithOcsp(good.sign, trust, { url, fetch: replay }, soon);
  assert.equal(replayed.status, 'unavailable');
  assert.match((replayed as { message: string }).message, /nonce/);
  const down = await validateWithOcsp(
    good.sign,
    trust,
    { url: 'http://127.0.0.1:9/ocsp', timeoutMs: 2000 },
    soon,
  );
  assert.equal(down.status, 'unavailable');
  const junk: typeof fetch = async () => new Response(Uint8Array.of(0x30, 0x01, 0x00));
  assert.equal(
    (await validateWithOcsp(good.sign, trust, { url, fetch: junk }, soon)).status,
    'unavailable',
  );
  // a responder of another hierarchy (same names, other keys) is not trusted
  const rogue = await startPkiServer(other, { port: 0 });
  try {
    const r = await validateWithOcsp(good.sign, trust, { url: `${rogue.url}/ocsp` }, soon);
    assert.equal(r.status, 'unavailable');
  } finally {
    await rogue.close();
  }
});

test('CRL trouble is "unavailable" or a typed error: another CA, an expired CRL, a bad signature', async () => {
  const signCrl = await issuer.crl('sign');
  const authCrl = await issuer.crl('auth');
  // an index of the auth CA asked about a sign certificate: no answer, not "valid"
  const wrongCa = validateWithCrl(good.sign, trust, CrlIndex.fromCrl(authCrl), soon);
  assert.equal(wrongCa.status, 'unavailable');
  assert.match((wrongCa as { message: string }).message, /another CA/);
  // the other hierarchy's CRL has the same issuer name but another key
  const rogue = validateWithCrl(good.sign, trust, CrlIndex.fromCrl(await other.crl('sign')), soon);
  assert.equal(rogue.status, 'unavailable');
  // a full CRL is good for a day: after that the index says so
  const later = new Date(Date.now() + 2 * 86_400_000);
  const stale = validateWithCrl(good.sign, trust, CrlIndex.fromCrl(signCrl), later);
  assert.equal(stale.status, 'unavailable');
  assert.match((stale as { message: string }).message, /expired/);
  // bound to its CA, an index takes only that CA's CRLs, with a valid signature
  const bind = { caCertificate: issuer.signCaCertificate };
  assert.throws(
    () => CrlIndex.fromCrl(authCrl, bind),
    (e: unknown) => e instanceof CrlTrustError && e.code === 'CRL_WRONG_ISSUER',
  );
  const otherCrl = await other.crl('sign');
  assert.throws(
    () => CrlIndex.fromCrl(otherCrl, bind),
    (e: unknown) => e instanceof CrlTrustError,
  );
  const forged = Uint8Array.from(signCrl);
  forged[forged.length - 5] = forged[forged.length - 5]! ^ 0x01;
  assert.throws(
    () => CrlIndex.fromCrl(forged, bind),
    (e: unknown) => e instanceof CrlTrustError && e.code === 'CRL_BAD_SIGNATURE',
  );
  const bound = CrlIndex.fromCrl(signCrl, bind);
  await issuer.revoke(new X509Certificate(good.auth).serialNumber, 'death');
  assert.throws(
    () => bound.applyDelta(Uint8Array.from(authCrl)),
    (e: unknown) => e instanceof CrlParseError || e instanceof CrlTrustError,
  );
  const delta = await issuer.crl('sign', { delta: true });
  assert.equal(bound.applyDelta(delta), 0);
});

test('an oversized or trailing-garbage OCSP response is "unavailable"', async () => {
  const big: typeof fetch = async () => new Response(new Uint8Array(MAX_OCSP_RESPONSE + 1));
  const r = await validateWithOcsp(good.sign, trust, { url, fetch: big }, soon);
  assert.equal(r.status, 'unavailable');
  assert.match((r as { message: string }).message, /larger than/);
  const trailing: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    return new Response(
      Buffer.concat([Buffer.from(await res.arrayBuffer()), Buffer.of(0x00, 0x00)]),
    );
  };
  assert.equal(
    (await validateWithOcsp(good.sign, trust, { url, fetch: trailing }, soon)).status,
    'unavailable',
  );
});
