/**
 * Detached CMS signatures over published files: ours verifies them, OpenSSL does
 * too (the command docs/loader.md gives vendors), and a changed file, another
 * signer or bytes that are not a signature are each refused with their own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PkiError,
  SignedFileError,
  SoftwareKeyStore,
  openFileSigner,
  signDetached,
  verifyDetached,
} from '@myna-ap/pki';

const LIST = new TextEncoder().encode(
  'card_id,status,changed_at\r\ncard_1,lost,2026-12-07T01:00:00Z\r\n',
);

async function memorySigner(subject = 'CN=myna-ap status feed (test)') {
  return openFileSigner({
    store: new SoftwareKeyStore(),
    id: 'feed-signer',
    subject,
    certificateFile: undefined,
  });
}

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SignedFileError, String(e));
    return e.code;
  }
  return 'accepted';
};

test('a detached signature verifies with the signer’s certificate and gives its signing time', async () => {
  const signer = await memorySigner();
  const at = new Date('2026-12-07T15:00:00Z');
  const p7s = await signDetached(LIST, signer, at);
  assert.deepEqual(verifyDetached(LIST, p7s, signer.certificate), { signedAt: at });
  // A time past 2049 is written as GeneralizedTime (RFC 5652 11.3) and still reads back.
  const late = new Date('2051-01-02T03:04:05Z');
  assert.deepEqual(
    verifyDetached(LIST, await signDetached(LIST, signer, late), signer.certificate),
    {
      signedAt: late,
    },
  );
});

test('OpenSSL verifies the signature with the published certificate, and refuses a changed file', async (t) => {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (probe.error) {
    if (process.env.CI) assert.fail('openssl is missing (CI installs it)');
    t.skip('openssl not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'myna-p7s-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const signer = await memorySigner();
  writeFileSync(join(dir, 'list.csv'), LIST);
  writeFileSync(join(dir, 'list.csv.p7s'), await signDetached(LIST, signer));
  writeFileSync(
    join(dir, 'platform.pem'),
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(signer.certificate).toString('base64')}\n-----END CERTIFICATE-----\n`,
  );
  // The command docs/loader.md gives vendors.
  const verify = () =>
    spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'list.csv.p7s',
        '-content',
        'list.csv',
      ].concat(['-CAfile', 'platform.pem', '-purpose', 'any', '-out', '/dev/null']),
      { cwd: dir, encoding: 'utf8' },
    );
  const good = verify();
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stderr, /Verification successful/);
  writeFileSync(
    join(dir, 'list.csv'),
    readFileSync(join(dir, 'list.csv'), 'utf8').replace('lost', 'good'),
  );
  const changed = verify();
  assert.notEqual(changed.status, 0);
  assert.match(changed.stderr, /digest failure|verification failure/i);
});

test('a changed file, another signer, and bytes that are no signature are refused with their codes', async () => {
  const signer = await memorySigner();
  const other = await memorySigner('CN=someone else');
  const p7s = await signDetached(LIST, signer);
  const changed = Uint8Array.from(LIST);
  changed[changed.length - 3] = changed[changed.length - 3]! ^ 1;
  assert.equal(
    codeOf(() => verifyDetached(changed, p7s, signer.certificate)),
    'CMS_BAD_SIGNATURE',
  );
  assert.equal(
    codeOf(() => verifyDetached(LIST, p7s, other.certificate)),
    'CMS_BAD_SIGNATURE',
  );
  // A signature of the other signer over the same file is not the trusted one's.
  const byOther = await signDetached(LIST, other);
  assert.equal(
    codeOf(() => verifyDetached(LIST, byOther, signer.certificate)),
    'CMS_BAD_SIGNATURE',
  );
  // The signature value flipped in its last byte.
  const flipped = Uint8Array.from(p7s);
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
  assert.equal(
    codeOf(() => verifyDetached(LIST, flipped, signer.certificate)),
    'CMS_BAD_SIGNATURE',
  );
  assert.equal(
    codeOf(() => verifyDetached(LIST, Uint8Array.of(0x30, 0x03, 1, 2), signer.certificate)),
    'BAD_CMS',
  );
  assert.equal(
    codeOf(() => verifyDetached(LIST, LIST, signer.certificate)),
    'BAD_CMS',
  );
  const trailing = new Uint8Array([...p7s, 0]);
  assert.equal(
    codeOf(() => verifyDetached(LIST, trailing, signer.certificate)),
    'BAD_CMS',
  );
  const e = (() => {
    try {
      verifyDetached(changed, p7s, signer.certificate);
    } catch (err) {
      return err as SignedFileError;
    }
  })();
  assert.match(e!.text.ja, /署名がファイルと一致しない/);
  assert.match(e!.text.en, /SHA-256 differs/);
});

test('the signer is made once, kept in its store and certificate file, and checked against its key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-signer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const open = (store = new SoftwareKeyStore(join(dir, 'keys'))) =>
    openFileSigner({
      store,
      id: 'feed-signer',
      subject: 'CN=feed',
      certificateFile: join(dir, 'feed.der'),
    });
  const first = await open();
  const again = await open();
  assert.deepEqual(again.certificate, first.certificate, 'the same certificate on the next start');
  const p7s = await signDetached(LIST, again);
  verifyDetached(LIST, p7s, first.certificate);
  // Another key behind the same certificate file is refused, not silently re-certified.
  rmSync(join(dir, 'keys'), { recursive: true });
  await assert.rejects(open(), (e) => e instanceof PkiError && e.code === 'PKI_KEY_MISMATCH');
});
