/**
 * `myna card pin-reset` (ロック解除): the holder confirmed by the card's internal
 * authentication with 照合番号B, then the PIN the holder typed set with every try
 * back — never printed; a wrong security code, a forged issuer, a PIN against the
 * rules change nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MynaClient } from '@myna-ap/access';
import {
  DEFAULT_FACE_JP2,
  issuerCvCertificateEf,
  loadCardFile,
  newCardIssuer,
  saveCardFile,
  saveCardImage,
  type Card,
} from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { HOLDER, PIN, cardIssuer, issued } from '@myna-ap/access/testing';
import { myna } from './cliRun.ts';
import { counterServer, type Counter } from './counterServer.ts';

// The counter's loader, where each reset is audited (a logged-in loading operator of 千代田区).
let counter: Counter | undefined;
after(() => counter?.close());
const audited = async () => (counter ??= await counterServer()).env;

async function withCard<T>(f: (p: { card: string; cert: string; code: string }) => Promise<T>) {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pin-reset-'));
  try {
    const made = await issued();
    const card = join(dir, 'holder.card');
    const cert = join(dir, 'issuer.cvc');
    await saveCardImage(card, made.image);
    await writeFile(cert, issuerCvCertificateEf(cardIssuer));
    return await f({ card, cert, code: made.secrets.securityCode });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Locks the JPKI auth PIN with three wrong tries, in the card file. */
async function lockAuthPin(file: string): Promise<void> {
  const c = await loadCardFile(file);
  const client = new MynaClient(new InProcessChannel(c));
  for (let i = 0; i < 3; i++) await client.verifyPin('auth', '9999').catch(() => undefined);
  assert.equal(await client.pinTriesLeft('auth'), 0);
  await saveCardFile(file, c);
}

const tries = async (file: string) =>
  new MynaClient(new InProcessChannel(await loadCardFile(file))).pinTriesLeft('auth');

test('a locked auth PIN is reset to the PIN the holder typed; it is never printed', async () => {
  await withCard(async ({ card, cert, code }) => {
    await lockAuthPin(card);
    const r = await myna(
      [
        'card',
        'pin-reset',
        '--card',
        card,
        '--which',
        'auth',
        '--birth',
        HOLDER.birthDate,
        '--issuer-cert',
        cert,
        '--face-dir',
        join(card, '..', 'face'),
      ],
      { ...(await audited()), MYNA_NEW_PIN: '7315', MYNA_SECURITY_CODE: code },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /holder's card confirmed: genuine card [0-9A-F]{32}/);
    assert.match(r.out, /auth PIN set anew with every try back/);
    assert.match(r.out, new RegExp(`card face: born ${HOLDER.birthDate}, sex ${HOLDER.sex}`));
    assert.deepEqual(
      await readFile(join(card, '..', 'face', 'photo.jp2')),
      Buffer.from(DEFAULT_FACE_JP2),
    );
    assert.match(r.err, /TEST card issuer keys/);
    assert.ok(!`${r.out}${r.err}`.includes('7315'), 'the PIN appears nowhere');
    assert.equal(await tries(card), 3);
    const c: Card = await loadCardFile(card);
    const client = new MynaClient(new InProcessChannel(c));
    await client.verifyPin('auth', '7315');
    await assert.rejects(client.verifyPin('auth', PIN), { code: 'PIN_WRONG' });
  });
});

test('refusals change nothing: wrong security code, forged issuer, bad PIN, missing input', async () => {
  await withCard(async ({ card, cert, code }) => {
    await lockAuthPin(card);
    const args = [
      'card',
      'pin-reset',
      '--card',
      card,
      '--which',
      'auth',
      '--birth',
      HOLDER.birthDate,
    ];
    const env = { ...(await audited()), MYNA_NEW_PIN: '7315', MYNA_SECURITY_CODE: code };
    const wrong = code === '0000' ? '0001' : '0000';
    let r = await myna([...args, '--issuer-cert', cert], { ...env, MYNA_SECURITY_CODE: wrong });
    assert.equal(r.code, 1);
    assert.match(r.err, /PIN B is wrong/);
    // A certificate of another issuer: the card is not the one that issuer made.
    const forged = join(card, '..', 'forged.cvc');
    await writeFile(forged, issuerCvCertificateEf(newCardIssuer()));
    r = await myna([...args, '--issuer-cert', forged], env);
    assert.equal(r.code, 1);
    assert.match(r.err, /failed internal authentication/);
    r = await myna([...args, '--issuer-cert', cert], { ...env, MYNA_NEW_PIN: '12345' });
    assert.equal(r.code, 1);
    assert.match(r.err, /new auth PIN must be 4 digits/);
    r = await myna([...args, '--issuer-cert', cert], { ...env, MYNA_NEW_PIN: undefined });
    assert.equal(r.code, 2);
    assert.match(r.err, /MYNA_NEW_PIN/);
    r = await myna([...args, '--issuer-cert', cert, '--which', 'pin_a'], env);
    assert.equal(r.code, 2);
    const keys = join(card, '..', 'keys.json');
    await writeFile(
      keys,
      JSON.stringify({ enc: '00'.repeat(16), mac: '00'.repeat(16), dek: '00'.repeat(16) }),
    );
    r = await myna([...args, '--issuer-cert', cert, '--issuer-keys', keys], env);
    assert.equal(r.code, 1);
    assert.match(r.err, /did not accept these keys/);
    await writeFile(keys, '{"enc":"zz"}');
    r = await myna([...args, '--issuer-cert', cert, '--issuer-keys', keys], env);
    assert.equal(r.code, 1);
    assert.match(r.err, /not issuer master keys/);
    assert.equal(await tries(card), 0, 'still locked');
  });
});
