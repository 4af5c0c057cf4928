import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CardImageError,
  CardOptionError,
  createCard,
  defaultExpiry,
  loadCardFile,
  loadCardImage,
  randomMyNumber,
  resolveCardOptions,
  saveCardFile,
  saveCardImage,
  type CreateCardOptions,
} from '@myna-ap/card';
import {
  isValidMunicipalityCode,
  isValidMyNumber,
  municipalityCheckDigit,
  myNumberCheckDigit,
} from '@myna-ap/profile';
import { HOLDER, cardIssuer, issued, testKeys, testPki } from './fixture.ts';

test('My Number check digit (総務省令第85号 第5条)', () => {
  assert.equal(myNumberCheckDigit('12345678901'), 8);
  assert.equal(myNumberCheckDigit('98320567321'), 4, 'published example 983205673214');
  assert.ok(isValidMyNumber('983205673214'));
  assert.ok(!isValidMyNumber('983205673210'));
  assert.ok(!isValidMyNumber('98320567321'));
  assert.ok(!isValidMyNumber('98320567321a'));
  for (let i = 0; i < 200; i++) assert.ok(isValidMyNumber(randomMyNumber()));
  assert.throws(() => myNumberCheckDigit('123'), RangeError);
});

test('municipality code check digit (全国地方公共団体コード)', () => {
  // 千代田区, 札幌市, 大阪市, 横浜市, 北海道
  for (const c of ['131016', '011002', '271004', '141003', '010006'])
    assert.ok(isValidMunicipalityCode(c), c);
  assert.equal(municipalityCheckDigit('13101'), 6);
  assert.ok(!isValidMunicipalityCode('131017'));
  assert.ok(!isValidMunicipalityCode('13101'));
});

test('default expiry: the 10th birthday after issue for adults, the 5th for minors, 28 Feb for 29 Feb', () => {
  const now = new Date('2026-11-23T00:00:00Z');
  const d = (s: string) => new Date(s + 'T00:00:00Z');
  assert.equal(defaultExpiry(d('1990-01-01'), now).toISOString().slice(0, 10), '2036-01-01');
  assert.equal(defaultExpiry(d('2010-06-15'), now).toISOString().slice(0, 10), '2031-06-15');
  assert.equal(
    defaultExpiry(d('2000-02-29'), now).toISOString().slice(0, 10),
    '2036-02-29',
    '2036 is a leap year',
  );
  assert.equal(
    defaultExpiry(d('2000-02-29'), d('2027-11-23')).toISOString().slice(0, 10),
    '2037-02-28',
  );
  assert.equal(
    defaultExpiry(d('2008-11-24'), now).toISOString().slice(0, 10),
    '2030-11-24',
    'turns 18 tomorrow: 17 at issue; the 1st birthday after issue is tomorrow, the 5th in 2030',
  );
});

const base = {
  holder: HOLDER,
  certificates: { issueCardCertificates: () => Promise.reject(new Error('unused')) },
};

test('every option is checked, with a code and both languages', () => {
  const bad: [Partial<CreateCardOptions> & { holder?: object }, string][] = [
    [{ holder: { ...HOLDER, name: '' } }, 'BAD_NAME'],
    [{ holder: { ...HOLDER, name: 'a\nb' } }, 'BAD_NAME'],
    [{ holder: { ...HOLDER, address: '   ' } }, 'BAD_ADDRESS'],
    [{ holder: { ...HOLDER, birthDate: '1990-02-30' } }, 'BAD_BIRTH_DATE'],
    [{ holder: { ...HOLDER, birthDate: '19900101' } }, 'BAD_BIRTH_DATE'],
    [{ holder: { ...HOLDER, birthDate: '2999-01-01' } }, 'BAD_BIRTH_DATE'],
    [{ holder: { ...HOLDER, birthDate: '1850-01-01' } }, 'BAD_BIRTH_DATE'],
    [{ holder: { ...HOLDER, sex: '3' as '1' } }, 'BAD_SEX'],
    [{ myNumber: '123456789012' }, 'BAD_MY_NUMBER'],
    [{ myNumber: '12345678901' }, 'BAD_MY_NUMBER'],
    [{ pin: '123' }, 'BAD_PIN'],
    [{ pin: '12a4' }, 'BAD_PIN'],
    [{ signPassword: 'abc123' }, 'BAD_SIGN_PASSWORD'],
    [{ signPassword: 'ABCDEF' }, 'BAD_SIGN_PASSWORD'],
    [{ signPassword: '123456' }, 'BAD_SIGN_PASSWORD'],
    [{ signPassword: 'AB12' }, 'BAD_SIGN_PASSWORD'],
    [{ signPassword: 'A1234567890123456' }, 'BAD_SIGN_PASSWORD'],
    [{ municipality: '131017' }, 'BAD_MUNICIPALITY'],
    [{ municipality: 'abcdef' }, 'BAD_MUNICIPALITY'],
    [{ expiry: '2020-01-01' }, 'BAD_EXPIRY'],
    [{ expiry: '2040-13-01' }, 'BAD_EXPIRY'],
    [{ securityCode: '12345' }, 'BAD_SECURITY_CODE'],
    [{ residentCode: '1234' }, 'BAD_RESIDENT_CODE'],
    [{ serial: new Uint8Array(4) }, 'BAD_KEY'],
    [
      { holder: { ...HOLDER, address: '東京都千代田区千代田一丁目一番一号'.repeat(3) } },
      'BASIC_INFO_TOO_LONG',
    ],
  ];
  for (const [o, code] of bad) {
    assert.throws(
      () => resolveCardOptions({ ...base, ...o } as CreateCardOptions),
      (e: unknown) =>
        e instanceof CardOptionError &&
        e.code === code &&
        e.text.ja.length > 0 &&
        e.text.en.length > 0,
      `${JSON.stringify(o)} → ${code}`,
    );
  }
  // good values pass, and defaults are reported
  const ok = resolveCardOptions({
    ...base,
    signPassword: 'A1B2C3D4E5F6G7H8',
    now: new Date('2026-01-01T00:00:00Z'),
  });
  assert.equal(ok.pin, '1234');
  assert.equal(ok.municipality, '131016');
  assert.equal(ok.expiry, '2036-01-01');
  assert.ok(ok.defaulted.includes('pin') && !ok.defaulted.includes('signPassword'));
  assert.match(ok.pinB, /^9001012036[0-9]{4}$/);
});

test('a long address is refused with a message that says how much fits', async () => {
  try {
    await createCard({
      ...base,
      holder: { ...HOLDER, address: '北海道'.repeat(40) },
      keys: await testKeys(),
    });
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof CardOptionError && e.code === 'BASIC_INFO_TOO_LONG');
    assert.match(e.text.en, /at most \d+/);
  }
});

test('createCard refuses keys that are not RSA-2048 private keys', async () => {
  const { privateKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = await testKeys();
  await assert.rejects(
    createCard({
      holder: HOLDER,
      certificates: await testPki(),
      keys: { auth: ec, sign: keys.sign },
      cardIssuer,
    }),
    (e: unknown) => e instanceof CardOptionError && e.code === 'BAD_KEY',
  );
});

test('createCard stores the given keys and writes what the options say', async () => {
  const { image, secrets, defaulted } = await issued();
  const keys = await testKeys();
  const pkcs8 = (k: typeof keys.auth) =>
    Buffer.from(k.export({ format: 'der', type: 'pkcs8' })).toString('hex');
  assert.equal(image.jpki.files['0017'], pkcs8(keys.auth));
  assert.equal(image.jpki.files['001A'], pkcs8(keys.sign));
  assert.equal(secrets.myNumber, '123456789018');
  assert.equal(secrets.pin, '1234');
  assert.equal(secrets.signPassword, 'ABC123');
  assert.ok(!defaulted.includes('myNumber'));
  assert.ok(defaulted.includes('pin'));
  assert.ok(
    !JSON.stringify(image).includes(Buffer.from('ABC123').toString('hex')),
    'no clear sign password',
  );
  assert.equal(image.jpki.pins['0018']!.maxTries, 3);
  assert.equal(image.jpki.pins['001B']!.maxTries, 5);
  assert.equal(image.common.files['0001']!.length, 32);
});

test('card files: atomic save, load, refuse to overwrite, clear errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-file-'));
  try {
    const { card, image } = await issued();
    const path = join(dir, 'card.json');
    await saveCardFile(path, card);
    assert.deepEqual((await readdir(dir)).sort(), ['card.json'], 'no temporary file left');
    const again = await loadCardFile(path);
    assert.deepEqual(again.image, image);
    assert.ok((await readFile(path, 'utf8')).includes('"format": "myna-card"'));
    await assert.rejects(
      saveCardImage(path, image, { exclusive: true }),
      (e: unknown) => e instanceof CardImageError && e.code === 'CARD_FILE_EXISTS',
    );
    assert.deepEqual((await readdir(dir)).sort(), ['card.json']);
    await saveCardImage(path, image); // replacing is fine when not exclusive
    await assert.rejects(
      loadCardImage(join(dir, 'none.json')),
      (e: unknown) => e instanceof CardImageError && e.code === 'CARD_FILE_NOT_FOUND',
    );
    await writeFile(join(dir, 'bad.json'), '{"format":"myna-card","version":1}');
    await assert.rejects(
      loadCardImage(join(dir, 'bad.json')),
      (e: unknown) => e instanceof CardImageError && e.code === 'CARD_IMAGE_INVALID',
    );
    await writeFile(join(dir, 'torn.json'), (await readFile(path, 'utf8')).slice(0, 500));
    await assert.rejects(
      loadCardFile(join(dir, 'torn.json')),
      (e: unknown) => e instanceof CardImageError,
    );
    await assert.rejects(saveCardImage(join(dir, 'no', 'such', 'dir.json'), image));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
