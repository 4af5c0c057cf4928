/**
 * The certificate check `myna serve --jpki DIR` gives diagnose: chain + the issuer
 * directory's published auth CRL. Valid, revoked after a new CRL, and never
 * `valid` without a trustworthy CRL (none, tampered, another CA's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpkiIssuer } from '@myna-ap/pki';
import { crlCertificateCheck } from '../src/commands/jpkiCheck.ts';

test('serve --jpki: valid by the CRL, revoked after a fresh CRL, unavailable without a good one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-jpki-check-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const issuer = await JpkiIssuer.init(dir);
  t.after(() => issuer.close());
  const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const certs = await issuer.issueCardCertificates({
    authPublicKey: key(),
    signPublicKey: key(),
    holder: {
      name: '番号 花子',
      address: '東京都千代田区千代田1番1号',
      birthDate: '1990-01-01',
      sex: '2',
    },
  });
  const check = await crlCertificateCheck(dir);
  assert.equal((await check(certs.auth)).status, 'unavailable', 'no CRL published yet');
  await issuer.crl('auth');
  assert.deepEqual(await check(certs.auth), { status: 'valid', checkedBy: 'crl' });
  const serial = new (await import('node:crypto')).X509Certificate(certs.auth).serialNumber;
  await issuer.revoke(serial, 'lost');
  assert.equal((await check(certs.auth)).status, 'valid', 'until a new CRL is published');
  await issuer.crl('auth');
  assert.equal((await check(certs.auth)).status, 'revoked');
  // A CRL that was tampered with, or the sign CA's in place of the auth CA's.
  const file = join(dir, 'crl', 'auth.crl');
  const good = await readFile(file);
  const bad = Buffer.from(good);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
  await writeFile(file, bad);
  assert.equal((await check(certs.auth)).status, 'unavailable');
  await writeFile(file, await issuer.crl('sign'));
  assert.equal((await check(certs.auth)).status, 'unavailable');
  await assert.rejects(crlCertificateCheck(join(dir, 'nope')), /not a JPKI issuer directory/);
});
