import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, X509Certificate as NodeCert, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as x509 from '@peculiar/x509';
import { JpkiIssuer, PkiError, checkRevocation, normalizeSerial } from '@myna-ap/pki';

const holder = {
  name: '番号 次郎',
  address: '大阪府大阪市北区1-1',
  birthDate: '1980-06-15',
  sex: '1',
} as const;
const pub = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const dir = await mkdtemp(join(tmpdir(), 'myna-pki-rev-'));
const issuer = await JpkiIssuer.init(dir);
const notBefore = new Date(Date.now() + 1000);
const a = await issuer.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
  notBefore,
});
const b = await issuer.issueCardCertificates({
  authPublicKey: pub(),
  signPublicKey: pub(),
  holder,
  notBefore,
});
const serial = (der: Uint8Array) => new NodeCert(der).serialNumber;
const pem = (der: Uint8Array) => new X509Certificate(der).toString();
const crlPem = (der: Uint8Array) =>
  `-----BEGIN X509 CRL-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END X509 CRL-----\n`;

async function verifyWithCrls(leaf: Uint8Array, crls: Uint8Array[], deltas = false) {
  const work = await mkdtemp(join(tmpdir(), 'myna-pki-v-'));
  await writeFile(join(work, 'chain.pem'), issuer.chainPem());
  await writeFile(join(work, 'leaf.pem'), pem(leaf));
  await writeFile(join(work, 'crls.pem'), crls.map(crlPem).join('\n'));
  const args = ['verify', '-attime', String(Math.floor(Date.now() / 1000) + 120), '-crl_check'];
  if (deltas) args.push('-use_deltas');
  args.push(
    '-CAfile',
    join(work, 'chain.pem'),
    '-CRLfile',
    join(work, 'crls.pem'),
    join(work, 'leaf.pem'),
  );
  const r = spawnSync('openssl', args);
  return { ok: r.status === 0, text: r.stdout.toString() + r.stderr.toString() };
}

test('revoke with a reason; openssl verify -crl_check rejects the revoked, accepts the others', async () => {
  const r = await issuer.revoke(serial(a.sign), 'lost');
  assert.equal(r.kind, 'sign');
  const full = await issuer.crl('sign');
  const revoked = await verifyWithCrls(a.sign, [full]);
  assert.equal(revoked.ok, false);
  assert.match(revoked.text, /certificate revoked/);
  const good = await verifyWithCrls(b.sign, [full]);
  assert.equal(good.ok, true, good.text);
  const authFull = await issuer.crl('auth');
  assert.equal(
    (await verifyWithCrls(a.auth, [authFull])).ok,
    true,
    'the auth certificate stays valid',
  );
  const parsed = new x509.X509Crl(full);
  assert.equal(parsed.entries.length, 1);
  assert.equal(parsed.entries[0]!.reason, x509.X509CrlReason.keyCompromise);
});

test('delta CRL: names its base, holds only what was revoked since; openssl reads it as a delta', async () => {
  await issuer.revoke(serial(b.sign), 'info-change');
  const delta = await issuer.crl('sign', { delta: true });
  const parsed = new x509.X509Crl(delta);
  assert.equal(parsed.entries.length, 1);
  assert.equal(parsed.entries[0]!.reason, x509.X509CrlReason.affiliationChanged);
  assert.ok(parsed.getExtension('2.5.29.27')?.critical, 'delta CRL indicator is critical');
  const text = spawnSync('openssl', ['crl', '-noout', '-text'], {
    input: crlPem(delta),
  }).stdout.toString();
  assert.match(text, /Delta CRL Indicator: critical/);
  assert.match(text, /X509v3 CRL Number:\s+2/);
  // The delta names the full CRL #1 as its base and openssl reads it as a delta CRL.
  assert.match(text, /Delta CRL Indicator: critical\s+1\b/);
});

test('rules: a change of the 4 info does not revoke an auth certificate; no double revocation', async () => {
  await assert.rejects(
    issuer.revoke(serial(b.auth), 'info-change'),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_REASON_NOT_FOR_KIND',
  );
  await assert.rejects(
    issuer.revoke(serial(a.sign), 'death'),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_ALREADY_REVOKED',
  );
  await assert.rejects(
    issuer.revoke(serial(a.auth), 'stolen'),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REASON',
  );
  await assert.rejects(
    issuer.revoke('zz', 'lost'),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_SERIAL',
  );
  await assert.rejects(
    issuer.revoke('0102', 'lost'),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_UNKNOWN_SERIAL',
  );
  assert.equal(checkRevocation('sign', 'info-change', undefined), undefined);
  assert.equal(normalizeSerial('00:0A:bc'), '0abc');
  assert.equal(normalizeSerial('0000'), undefined);
});

test('a delta CRL needs a full CRL first; state survives reopening the directory', async () => {
  const fresh = await JpkiIssuer.createInMemory();
  await assert.rejects(
    fresh.crl('auth', { delta: true }),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_NO_BASE_CRL',
  );
  const again = await JpkiIssuer.open(dir);
  assert.equal(again.revocation(serial(a.sign))?.reason, 'lost');
  assert.equal(again.issuedKind(serial(b.auth)), 'auth');
  const nextDer = await again.crl('sign');
  const next = new x509.X509Crl(nextDer);
  const text = spawnSync('openssl', ['crl', '-noout', '-text'], {
    input: crlPem(nextDer),
  }).stdout.toString();
  assert.match(text, /X509v3 CRL Number:\s+3/, 'numbers continue after reopening');
  assert.equal(next.entries.length, 2);
});
