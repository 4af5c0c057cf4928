import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { JpkiIssuer, startPkiServer } from '@myna-ap/pki';

const holder = {
  name: '番号 三郎',
  address: '北海道札幌市中央区1-1',
  birthDate: '1975-03-03',
  sex: '1',
} as const;
const pub = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const dir = await mkdtemp(join(tmpdir(), 'myna-ocsp-'));
const issuer = await JpkiIssuer.init(dir);
const good = await issuer.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
});
const bad = await issuer.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
});
await issuer.revoke(new X509Certificate(bad.sign).serialNumber, 'death');
const server = await startPkiServer(issuer, { port: 0 });
after(() => server.close());

const files = {
  chain: join(dir, 'chain.pem'),
  signCa: join(dir, 'sign-ca.pem'),
  authCa: join(dir, 'auth-ca.pem'),
  goodSign: join(dir, 'good-sign.pem'),
  badSign: join(dir, 'bad-sign.pem'),
  goodAuth: join(dir, 'good-auth.pem'),
};
const pem = (der: Uint8Array) => new X509Certificate(der).toString();
await writeFile(files.chain, issuer.chainPem());
await writeFile(files.signCa, pem(issuer.signCaCertificate));
await writeFile(files.authCa, pem(issuer.authCaCertificate));
await writeFile(files.goodSign, pem(good.sign));
await writeFile(files.badSign, pem(bad.sign));
await writeFile(files.goodAuth, pem(good.auth));

// openssl runs asynchronously: our server answers in this same process.
function openssl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', args);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const ocsp = (ca: string, cert: string, extra: string[] = []) =>
  openssl([
    'ocsp',
    '-issuer',
    ca,
    '-cert',
    cert,
    '-url',
    `${server.url}/ocsp`,
    '-CAfile',
    files.chain,
    ...extra,
  ]);

test('openssl ocsp: good, with a nonce, the response verified against the chain', async () => {
  const r = await ocsp(files.signCa, files.goodSign, ['-resp_text']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Response verify OK/);
  assert.match(r.out, /good-sign\.pem: good/);
  assert.match(r.out, /WARNING: no nonce in response|OCSP Nonce/);
  assert.doesNotMatch(r.out, /no nonce in response/);
});

test('openssl ocsp: revoked, with time and reason', async () => {
  const r = await ocsp(files.signCa, files.badSign);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /bad-sign\.pem: revoked/);
  assert.match(r.out, /Reason: cessationOfOperation/);
});

test('openssl ocsp: an auth certificate asked of the auth CA is good; of the wrong CA, unauthorized', async () => {
  const r = await ocsp(files.authCa, files.goodAuth);
  assert.match(r.out, /good-auth\.pem: good/);
  const wrong = await ocsp(files.signCa, files.goodAuth); // serial issued by the auth CA
  // name hash of the auth CA with the key hash of the sign CA: no CA of ours
  assert.match(wrong.out, /unauthorized/);
});

test('GET /ocsp/<base64> answers like POST; malformed and oversized requests get clear answers', async () => {
  const reqFile = join(dir, 'req.der');
  const mk = await openssl([
    'ocsp',
    '-issuer',
    files.signCa,
    '-cert',
    files.goodSign,
    '-reqout',
    reqFile,
    '-no_nonce',
  ]);
  assert.equal(mk.code, 0, mk.out);
  const der = await readFile(reqFile);
  const get = await fetch(`${server.url}/ocsp/${encodeURIComponent(der.toString('base64'))}`);
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('content-type'), 'application/ocsp-response');
  const respFile = join(dir, 'resp.der');
  await writeFile(respFile, new Uint8Array(await get.arrayBuffer()));
  const text = await openssl(['ocsp', '-respin', respFile, '-resp_text', '-noverify']);
  assert.match(text.out, /Cert Status: good/);

  const garbage = await fetch(`${server.url}/ocsp`, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body: Buffer.from('30030a0101ff', 'hex'),
  });
  assert.equal(garbage.status, 200);
  assert.deepEqual(
    new Uint8Array(await garbage.arrayBuffer()),
    Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x01),
  ); // malformedRequest
  const big = await fetch(`${server.url}/ocsp`, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body: new Uint8Array(100_000),
  }).catch(() => undefined);
  if (big) assert.equal(big.status, 413);
  const type = await fetch(`${server.url}/ocsp`, { method: 'POST', body: 'x' });
  assert.equal(type.status, 415);
  assert.equal((await fetch(`${server.url}/ocsp/!!!`)).status, 400);
  assert.equal((await fetch(`${server.url}/nothing`)).status, 404);
});

// The responder's fuzz is in fuzz.test.ts (seeded, replayable, with the other parsers').

test('CRLs over HTTP: full and delta, DER', async () => {
  const full = await fetch(`${server.url}/crl/sign.crl`);
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('content-type'), 'application/pkix-crl');
  const f = join(dir, 'sign.crl');
  await writeFile(f, new Uint8Array(await full.arrayBuffer()));
  const text = await openssl(['crl', '-inform', 'DER', '-in', f, '-noout', '-text']);
  assert.match(text.out, /Cessation Of Operation/);
  const delta = await fetch(`${server.url}/crl/sign-delta.crl`);
  assert.equal(delta.status, 200);
});
