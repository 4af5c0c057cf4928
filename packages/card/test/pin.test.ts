import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card, DfApplet, loadCardFile, saveCardFile, type CardImage } from '@myna-ap/card';
import { AIDS, fresh, issued, selectAid, selectEf, tx, verify } from './fixture.ts';

test('auth PIN: wrong tries count down, lock at 0, then 69 84 even for the right PIN', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x0018);
  assert.equal(tx(card, '00200080').sw, 0x63c3, 'empty VERIFY reports 3 tries');
  const g0 = card.generation;
  assert.equal(verify(card, '0000'), 0x63c2);
  assert.ok(card.generation > g0, 'the counter is written to the image');
  assert.equal(card.image.jpki.pins['0018']!.triesLeft, 2);
  assert.equal(verify(card, '9999'), 0x63c1);
  assert.equal(tx(card, '00200080').sw, 0x63c1);
  assert.equal(verify(card, '12'), 0x63c0, 'a short PIN is a wrong PIN');
  assert.equal(
    tx(card, '00200080').sw,
    0x63c0,
    'locked: empty VERIFY answers 63 C0 (OpenSC needs SW1 63)',
  );
  assert.equal(verify(card, secrets.pin), 0x6984, 'locked: the right PIN is refused');
  assert.equal(verify(card, '0000'), 0x6984);
  assert.equal(card.image.jpki.pins['0018']!.triesLeft, 0);
  selectEf(card, 0x0017);
  const di = Uint8Array.of(0x80, 0x2a, 0x00, 0x80, 0x03, 1, 2, 3, 0x00);
  assert.equal(tx(card, di).sw, 0x6982, 'the key stays closed');
  // the other PINs are independent
  selectEf(card, 0x001b);
  assert.equal(tx(card, '00200080').sw, 0x63c5);
  // reset and power off keep the lock
  card.reset();
  card.powerOff();
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x0018);
  assert.equal(tx(card, '00200080').sw, 0x63c0);
  assert.equal(verify(card, secrets.pin), 0x6984);
  // and so does a save and reload of the card file
  const dir = await mkdtemp(join(tmpdir(), 'myna-pin-'));
  try {
    const path = join(dir, 'card.json');
    await saveCardFile(path, card);
    const again = await loadCardFile(path);
    selectAid(again, AIDS.jpki);
    selectEf(again, 0x0018);
    assert.equal(tx(again, '00200080').sw, 0x63c0);
    assert.equal(verify(again, secrets.pin), 0x6984);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a success resets the counter; a failure drops an earlier verification', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x001b);
  assert.equal(verify(card, 'WRONG1'), 0x63c4);
  assert.equal(verify(card, 'WRONG2'), 0x63c3);
  assert.equal(verify(card, secrets.signPassword), 0x9000);
  assert.equal(card.image.jpki.pins['001B']!.triesLeft, 5);
  const g = card.generation;
  assert.equal(verify(card, secrets.signPassword), 0x9000);
  assert.equal(card.generation, g, 'nothing to write when the counter is already full');
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000004').sw, 0x9000);
  selectEf(card, 0x001b);
  assert.equal(verify(card, 'ABC124'), 0x63c4);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000004').sw, 0x6982, 'a wrong try clears the verified state');
});

test('VERIFY addressing and bad forms', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.jpki);
  assert.equal(tx(card, '00200080').sw, 0x6986, 'no current EF');
  assert.equal(tx(card, '00200098').sw, 0x63c3, 'P2 = 80|SFI names the PIN');
  selectEf(card, 0x000a);
  assert.equal(tx(card, '00200080').sw, 0x6981, 'not a PIN EF');
  assert.equal(tx(card, '00200000').sw, 0x6a86);
  assert.equal(tx(card, '00200180').sw, 0x6a86);
  assert.equal(tx(card, '0020009D').sw, 0x6a88, 'no EF with that SFI');
  const p = new TextEncoder().encode(secrets.pin);
  assert.equal(tx(card, Uint8Array.of(0x00, 0x20, 0x00, 0x98, p.length, ...p)).sw, 0x9000);
  assert.equal(
    tx(card, Uint8Array.of(0x00, 0x20, 0x00, 0x98, 17, ...new Uint8Array(17))).sw,
    0x6700,
  );
  assert.equal(card.image.jpki.pins['0018']!.triesLeft, 3, 'an over-long PIN is not counted');
  // 00 20 FF P2 drops the verification without touching the counter
  selectEf(card, 0x0017);
  const sign = Uint8Array.of(0x80, 0x2a, 0x00, 0x80, 0x03, 1, 2, 3, 0x00);
  assert.equal(tx(card, sign).sw, 0x9000);
  assert.equal(tx(card, '0020FF98').sw, 0x9000);
  assert.equal(tx(card, sign).sw, 0x6982);
});

test('verification is per DF: cleared on DF change, reset and power off', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  const applet = card.findApplet(Buffer.from(AIDS.text, 'hex')) as DfApplet;
  selectAid(card, AIDS.text);
  selectEf(card, 0x0011);
  assert.equal(verify(card, secrets.pin), 0x9000);
  assert.deepEqual([...applet.verifiedPins], [0x0011]);
  selectAid(card, AIDS.text);
  assert.deepEqual([...applet.verifiedPins], [], 'reselecting the same DF clears it too');
  selectEf(card, 0x0011);
  verify(card, secrets.pin);
  selectAid(card, AIDS.juki);
  selectAid(card, AIDS.text);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000011').sw, 0x6982);
  selectEf(card, 0x0011);
  verify(card, secrets.pin);
  card.powerOff();
  assert.equal(tx(card, '00B0000011').sw, 0x6985, 'nothing selected after power off');
  selectAid(card, AIDS.text);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000011').sw, 0x6982);
});

test('a card image without an EF the applets need is refused when built', async () => {
  const { image } = await issued();
  const { '0017': _key, ...files } = image.jpki.files;
  const broken: CardImage = { ...image, jpki: { ...image.jpki, files } };
  assert.throws(() => Card.fromImage(broken), /EF 0017/);
  const badKey: CardImage = {
    ...image,
    jpki: { ...image.jpki, files: { ...image.jpki.files, '0017': '3000' } },
  };
  assert.throws(
    () => Card.fromImage(badKey),
    (e: Error & { code?: string }) => e.code === 'CARD_IMAGE_INVALID',
  );
});
