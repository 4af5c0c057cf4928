import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, writeFile, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CrlIndex,
  JpkiIssuer,
  PkiError,
  parseCrl,
  verifyCrlSignature,
  readHolderInfo,
  fifthBirthdayAfter,
  type HolderInfo,
} from '@myna-ap/pki';

const holder: HolderInfo = {
  name: '番号 花子',
  address: '東京都千代田区千代田1-1',
  birthDate: '1990-02-28',
  sex: '2',
};

function rsaPublic() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
}

const dir = await mkdtemp(join(tmpdir(), 'myna-pki-'));
const issuer = await JpkiIssuer.init(dir);
const issuedAt = new Date(Date.now() + 60_000); // after the CAs' own notBefore
const certs = await issuer.issueCardCertificates({
  authPublicKey: rsaPublic(),
  signPublicKey: rsaPublic(),
  holder,
  notBefore: issuedAt,
});
const pem = (der: Uint8Array) => new X509Certificate(der).toString();

test('card certificates chain to their CA and the root (node:crypto)', () => {
  const root = new X509Certificate(issuer.rootCertificate);
  const authCa = new X509Certificate(certs.authCa);
  const signCa = new X509Certificate(certs.signCa);
  assert.ok(authCa.verify(root.publicKey) && signCa.verify(root.publicKey));
  assert.ok(new X509Certificate(certs.auth).verify(authCa.publicKey));
  assert.ok(new X509Certificate(certs.sign).verify(signCa.publicKey));
  assert.ok(
    !new X509Certificate(certs.sign).verify(authCa.publicKey),
    'sign cert is not from the auth CA',
  );
  assert.match(authCa.subject, /OU=JPKI for user authentication/);
  assert.match(signCa.subject, /OU=JPKI for digital signature/);
});

test('openssl verify accepts both card certificates with the chain', async () => {
  const chain = join(dir, 'chain.pem');
  await writeFile(chain, issuer.chainPem());
  for (const der of [certs.auth, certs.sign]) {
    const leaf = join(dir, 'leaf.pem');
    await writeFile(leaf, pem(der));
    const r = spawnSync('openssl', [
      'verify',
      '-attime',
      String(Math.floor(issuedAt.getTime() / 1000) + 3600),
      '-CAfile',
      chain,
      leaf,
    ]);
    assert.equal(r.status, 0, r.stderr.toString() + r.stdout.toString());
  }
});

test('only the sign certificate carries the 4 info, and it reads back', () => {
  assert.equal(readHolderInfo(certs.auth), undefined);
  const back = readHolderInfo(certs.sign);
  assert.equal(back?.name, holder.name);
  assert.equal(back?.address, holder.address);
  assert.equal(back?.birthDate, holder.birthDate);
  assert.equal(back?.sex, holder.sex);
  const auth = new X509Certificate(certs.auth);
  assert.equal(auth.subjectAltName, undefined);
  assert.ok(!auth.subject.includes('花子'), 'no personal data in the auth subject');
});

test('profile: RSA-2048, sha256WithRSAEncryption, key usage, validity to the 5th birthday', () => {
  for (const der of [certs.auth, certs.sign]) {
    const c = new X509Certificate(der);
    assert.equal(c.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(c.ca, false);
    // birthday 02-28: the first one after issue, plus 4 years, at the end of that day in JST
    const y = issuedAt.getUTCFullYear();
    const first = issuedAt < new Date(`${y}-02-28T14:59:59Z`) ? y : y + 1;
    assert.equal(new Date(c.validTo).toISOString(), `${first + 4}-02-28T14:59:59.000Z`);
    assert.ok(/^[0-7]/.test(c.serialNumber), 'positive serial');
  }
  const text = spawnSync('openssl', ['x509', '-noout', '-text'], {
    input: pem(certs.sign),
  }).stdout.toString();
  assert.match(text, /sha256WithRSAEncryption/);
  assert.match(text, /Digital Signature, Non Repudiation/);
  assert.match(text, /OCSP - URI:http:\/\/127\.0\.0\.1:8080\/ocsp/);
});

test('fifth birthday rule: on the birthday itself, and 29 February', () => {
  assert.equal(
    fifthBirthdayAfter('2000-11-23', new Date('2026-11-23T16:00:00Z')).toISOString(),
    '2031-11-23T14:59:59.000Z',
  );
  assert.equal(
    fifthBirthdayAfter('2000-02-29', new Date('2026-01-01T00:00:00Z')).toISOString(),
    '2030-02-28T14:59:59.000Z',
  );
  assert.throws(() => fifthBirthdayAfter('20000229', new Date()), RangeError);
});

test('issuer directory: keys 0600, reopen issues under the same CAs, init refuses a used dir', async () => {
  const keys = await readdir(join(dir, 'keys'));
  assert.deepEqual(keys.sort(), [
    'auth-ca.p8',
    'ocsp-auth.p8',
    'ocsp-sign.p8',
    'root.p8',
    'sign-ca.p8',
  ]);
  for (const k of keys) assert.equal((await stat(join(dir, 'keys', k))).mode & 0o777, 0o600);
  const again = await JpkiIssuer.open(dir);
  const c2 = await again.issueCardCertificates({
    authPublicKey: rsaPublic(),
    signPublicKey: rsaPublic(),
    holder,
  });
  assert.ok(new X509Certificate(c2.auth).verify(new X509Certificate(certs.authCa).publicKey));
  const issued = (await readFile(join(dir, 'issued.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(issued.length, 4);
  await assert.rejects(
    JpkiIssuer.init(dir),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_DIR_NOT_EMPTY',
  );
});

test('bad requests and bad directories are typed errors', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'myna-pki-none-'));
  await assert.rejects(
    JpkiIssuer.open(empty),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_DIR_MISSING',
  );
  await writeFile(join(empty, 'issuer.json'), '{not json');
  await assert.rejects(
    JpkiIssuer.open(empty),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_DIR_BAD',
  );
  await assert.rejects(JpkiIssuer.openOrInit(empty), (e: unknown) => e instanceof PkiError);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  await assert.rejects(
    issuer.issueCardCertificates({ authPublicKey: ec, signPublicKey: rsaPublic(), holder }),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
  );
  await assert.rejects(
    issuer.issueCardCertificates({
      authPublicKey: rsaPublic(),
      signPublicKey: rsaPublic(),
      holder: { ...holder, birthDate: '1990/01/01' },
    }),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
  );
});

test('openOrInit creates an issuer in a missing directory, then reopens it', async () => {
  const fresh = join(await mkdtemp(join(tmpdir(), 'myna-pki-')), 'sub', 'pki');
  const a = await JpkiIssuer.openOrInit(fresh);
  const b = await JpkiIssuer.openOrInit(fresh);
  assert.deepEqual(a.rootCertificate, b.rootCertificate);
});

test('readHolderInfo rejects a garbage certificate', () => {
  assert.throws(() => readHolderInfo(Uint8Array.of(0x30, 0x03, 0x02, 0x01)));
});

test('records larger than one read chunk (8 MiB) are read whole, lines across chunk ends included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pki-big-'));
  await JpkiIssuer.init(dir);
  const iso = new Date().toISOString();
  const serials = Array.from({ length: 70_000 }, (_, i) =>
    (0x100000 + i).toString(16).padStart(32, '1'),
  );
  const lines = serials.map(
    (s, i) =>
      `{"serial":"${s}","kind":"${i % 2 ? 'sign' : 'auth'}","notBefore":"${iso}","notAfter":"${iso}","issuedAt":"${iso}"}\n`,
  );
  await writeFile(join(dir, 'issued.jsonl'), lines.join(''));
  assert.ok(lines.join('').length > 8 << 20);
  const issuer = await JpkiIssuer.open(dir);
  for (let i = 0; i < serials.length; i++) {
    assert.equal(issuer.issuedKind(serials[i]!), i % 2 ? 'sign' : 'auth', serials[i]);
  }
  // appended later: only the new line is read, and found
  const late = 'ab'.repeat(16);
  await appendFile(join(dir, 'issued.jsonl'), `{"serial":"${late}","kind":"sign"}\n`);
  await issuer.refresh();
  assert.equal(issuer.issuedKind(late), 'sign');
});

// (from crlIndex.test.ts, which runs once per mutant: the issuer's keys cost seconds)
test('the issuer’s own CRLs index with reasons, and verify against the CA certificate', async () => {
  const own = await JpkiIssuer.createInMemory();
  const c = await own.issueCardCertificates({
    authPublicKey: rsaPublic(),
    signPublicKey: rsaPublic(),
    holder: { name: 'a', address: 'b', birthDate: '1990-01-01', sex: '9' },
  });
  const serial = new X509Certificate(c.sign).serialNumber;
  await own.revoke(serial, 'lost');
  const crl = await own.crl('sign');
  assert.ok(
    verifyCrlSignature(parseCrl(crl), new X509Certificate(own.signCaCertificate).publicKey),
  );
  const idx = CrlIndex.fromCrl(crl);
  assert.equal(idx.lookup(serial)?.reason, 1);
  await own.revoke(new X509Certificate(c.auth).serialNumber, 'death');
  const authIdx = CrlIndex.fromCrl(await own.crl('auth'));
  assert.equal(authIdx.lookup(new X509Certificate(c.auth).serialNumber)?.reason, 5);
});
