/**
 * The ISO 7816-4 commands of the fixed DFs at their edges: the forms of SELECT, the
 * longest PIN a VERIFY takes, what an FCP says, and the classes a DF refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Card, type CardImage } from '@myna-ap/card';
import {
  AIDS,
  fresh,
  issued,
  readTlv,
  readTlvs,
  selectAid,
  selectEf,
  tx,
  verify,
} from './fixture.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

test('SELECT of a DF: P2 0C nothing, 00 an FCI with the DF name, 04 an FCP, others 6A 86', async () => {
  const card = await fresh();
  const aid = AIDS.jpki;
  const sel = (p2: number, le = true) =>
    tx(card, `00A404${p2.toString(16).padStart(2, '0')}0A${aid}${le ? '00' : ''}`);
  assert.deepEqual(sel(0x0c, false), { data: new Uint8Array(0), sw: 0x9000 });
  assert.equal(hex(sel(0x00).data), `6F0C840A${aid}`);
  assert.equal(hex(sel(0x04).data), `620C840A${aid}`);
  assert.equal(hex(sel(0x00, false).data), '', 'no Le: no FCI');
  assert.equal(tx(card, `00A404000A${aid}05`).data.length, 5, 'at most Le bytes');
  // The low two bits of P2 (first / next occurrence) do not change the answer.
  assert.equal(sel(0x0d, false).sw, 0x9000);
  assert.equal(sel(0x08).sw, 0x6a86);
  assert.equal(sel(0x10).sw, 0x6a86);
});

test('SELECT EF: FID only; P1 01–09 are not found here, other P1 6A 86; 2 bytes of data', async () => {
  const card = await fresh();
  selectAid(card, AIDS.jpki);
  for (const p1 of ['01', '03', '08', '09']) {
    assert.equal(tx(card, `00A4${p1}0C02000A`).sw, 0x6a82, `P1 ${p1}`);
  }
  for (const p1 of ['0A', '10', '80']) {
    assert.equal(tx(card, `00A4${p1}0C02000A`).sw, 0x6a86, `P1 ${p1}`);
  }
  assert.equal(tx(card, '00A4020C01000A').sw, 0x6700);
  assert.equal(tx(card, '00A4020C0300000A').sw, 0x6700);
  assert.equal(tx(card, '00A4020D02000A').sw, 0x6a86, 'P2 0D');
  assert.equal(tx(card, '00A4020802000A').sw, 0x6a86, 'P2 08');
  // P2 04 and 00 answer the same FCP.
  assert.deepEqual(tx(card, '00A4020402000A00'), tx(card, '00A4020002000A00'));
});

test('FCP: size, descriptor 01 and FID of a binary EF; descriptor 11 and no size for a PIN or key', async () => {
  const card = await fresh();
  const { image } = await issued();
  selectAid(card, AIDS.jpki);
  const size = image.jpki.files['000A']!.length / 2;
  const fcp = readTlv(tx(card, '00A4020402000A00').data);
  assert.equal(fcp.tag, 0x62);
  assert.deepEqual(
    readTlvs(fcp.value).map((t) => [t.tag, hex(t.value)]),
    [
      [0x80, size.toString(16).toUpperCase().padStart(4, '0')],
      [0x82, '01'],
      [0x83, '000A'],
    ],
  );
  for (const fid of ['0018', '0017']) {
    const pin = readTlv(tx(card, `00A4020402${fid}00`).data);
    assert.deepEqual(
      readTlvs(pin.value).map((t) => [t.tag, hex(t.value)]),
      [
        [0x82, '11'],
        [0x83, fid],
      ],
      fid,
    );
  }
});

test('VERIFY: a 16-byte sign password is tried and counted, 17 bytes is 67 00 and not', async () => {
  const card = await fresh();
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x001b);
  assert.equal(verify(card, 'ABCDEFGHIJKLMNO1'), 0x63c4, '16 bytes: a wrong password');
  assert.equal(card.image.jpki.pins['001B']!.triesLeft, 4);
  assert.equal(verify(card, 'ABCDEFGHIJKLMNO12'), 0x6700);
  assert.equal(card.image.jpki.pins['001B']!.triesLeft, 4, 'an over-long PIN costs no try');
  // The P1 FF form takes no data; other P1 are refused without counting.
  assert.equal(tx(card, '0020FF800131').sw, 0x6700);
  assert.equal(tx(card, '0020FE80').sw, 0x6a86);
  assert.equal(tx(card, '0020019B').sw, 0x6a86);
  assert.equal(tx(card, '00200060').sw, 0x6a86, 'P2 not 80|SFI');
  assert.equal(tx(card, '002000A0').sw, 0x6a86, 'P2 with bit 6 set');
  assert.equal(card.image.jpki.pins['001B']!.triesLeft, 4);
});

test('VERIFY with no data tells the tries of a 10-try PIN (63 CA)', async () => {
  const card = await fresh();
  selectAid(card, AIDS.text);
  const { image } = await issued();
  const pins = Object.entries(image.text.pins).filter(([, p]) => p.maxTries === 10);
  assert.ok(pins.length > 0);
  for (const [fid] of pins) {
    selectEf(card, parseInt(fid, 16));
    assert.equal(tx(card, '00200080').sw, 0x63ca, fid);
  }
});

test('a DF refuses proprietary classes it has no command for and unknown instructions', async () => {
  const card = await fresh();
  selectAid(card, AIDS.juki);
  assert.equal(tx(card, '80B0000001').sw, 0x6e00, 'CLA 80');
  assert.equal(tx(card, '04B0000001').sw, 0x6882, 'CLA 04: secure messaging');
  assert.equal(tx(card, '08B0000001').sw, 0x6882, 'CLA 08: secure messaging');
  assert.equal(tx(card, '0088000000').sw, 0x6d00, 'INTERNAL AUTHENTICATE outside the visual AP');
  assert.equal(tx(card, '00240080').sw, 0x6986, 'CHANGE REFERENCE DATA with no current EF');
});

test('READ BINARY at the last byte, and with Le past the end', async () => {
  const card = await fresh();
  const { image } = await issued();
  const serial = Buffer.from(image.common.files['0001']!, 'hex'); // 16 bytes
  selectAid(card, AIDS.common);
  selectEf(card, 0x0001);
  const last = serial.length - 1;
  const r = tx(card, Uint8Array.of(0x00, 0xb0, 0, last, 0x10));
  assert.deepEqual([r.sw, hex(r.data)], [0x9000, hex(serial.subarray(last))]);
  assert.equal(hex(tx(card, Uint8Array.of(0x00, 0xb0, 0, 0, serial.length)).data), hex(serial));
  assert.equal(hex(tx(card, '00B0000001').data), hex(serial.subarray(0, 1)));
  assert.equal(tx(card, Uint8Array.of(0x00, 0xb0, 0, serial.length, 1)).sw, 0x6b00);
});

test('a card image without a PIN the DF needs is refused when built, naming it', async () => {
  const { image } = await issued();
  const { '0018': _pin, ...pins } = image.jpki.pins;
  const broken: CardImage = { ...image, jpki: { ...image.jpki, pins } };
  assert.throws(
    () => Card.fromImage(broken),
    (e: Error & { code?: string }) => e.code === 'CARD_IMAGE_INVALID' && /PIN 0018/.test(e.message),
  );
});
