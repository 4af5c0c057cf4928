import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  command,
  describeCommand,
  describeResponse,
  encodeCommand,
  fromHex,
  isSecureMessaging,
  ok,
  status,
} from '@myna-ap/apdu';

const d = (hex: string) => describeCommand(fromHex(hex));

test('SELECT by DF name, EF and FID', () => {
  assert.equal(d('00A4040C0AD392F000260100000001'), 'SELECT DF name D392F000260100000001');
  assert.equal(d('00A4020C020018'), 'SELECT EF 0018');
  assert.equal(d('00A40000023F00'), 'SELECT FID 3F00');
  assert.equal(d('00A4040007A0000000030000 00'), 'SELECT DF name A0000000030000 Le=256');
  assert.equal(
    describeCommand(fromHex('00A4040C0AD392F000260100000001'), { showData: false }),
    'SELECT DF name Lc=10',
  );
});

test('READ BINARY: offset, SFI and Le, short and extended', () => {
  assert.equal(d('00B0000000'), 'READ BINARY off=0 Le=256');
  assert.equal(d('00B0010411'), 'READ BINARY off=260 Le=17');
  assert.equal(d('00B08A0004'), 'READ BINARY SFI=10 off=0 Le=4');
  assert.equal(d('00B00000000000'), 'READ BINARY off=0 Le=65536 (extended)');
  assert.equal(d('00B2010C00'), 'READ RECORD rec=1 SFI=1 Le=256');
});

test('VERIFY never shows the PIN; an empty VERIFY asks for the tries left', () => {
  const pin = '31323334';
  const s = d(`0020008004${pin}`);
  assert.equal(s, 'VERIFY P2=80 PIN=<4 bytes masked>');
  assert.ok(!s.includes(pin) && !s.includes('1234'));
  assert.equal(d('00200080'), 'VERIFY P2=80 (tries left?)');
  const change = d('00240001083132333435363738');
  assert.equal(change, 'CHANGE REFERENCE DATA P2=01 PIN=<8 bytes masked>');
  assert.equal(d('002C0081083132333435363738'), 'RESET RETRY COUNTER P2=81 PIN=<8 bytes masked>');
  // even with showData forced on
  assert.ok(!describeCommand(fromHex(`0020008004${pin}`), { showData: true }).includes(pin));
});

test('signatures, GlobalPlatform and secure messaging show lengths, not data', () => {
  const digestInfo = '3031300d060960864801650304020105000420' + 'ab'.repeat(32);
  assert.equal(
    d(`802A008033${digestInfo}00`),
    'COMPUTE DIGITAL SIGNATURE P1=00 P2=80 CLA=80 Lc=51 Le=256',
  );
  assert.equal(
    d(`002A9E9A33${digestInfo}00`),
    'COMPUTE DIGITAL SIGNATURE P1=9E P2=9A Lc=51 Le=256',
  );
  assert.equal(
    d('8050300008 0102030405060708 00'),
    'INITIALIZE UPDATE P1=30 P2=00 CLA=80 Lc=8 Le=256',
  );
  assert.equal(d('84E60C0010' + '00'.repeat(16)), 'INSTALL P1=0C P2=00 CLA=84 (SM) Lc=16');
  assert.equal(d('80E40000034F0101'), 'DELETE P1=00 P2=00 CLA=80 data=4F0101');
  assert.equal(d('0CB000000A' + '00'.repeat(10)), 'READ BINARY off=0 CLA=0C (SM) Lc=10');
  assert.equal(d('00D600000401020304'), 'UPDATE BINARY off=0 Lc=4');
  assert.equal(d('00CA9F7F00'), 'GET DATA P1=9F P2=7F Le=256');
  assert.equal(d('00840000 08'), 'GET CHALLENGE P1=00 P2=00 Le=8');
  assert.equal(d('00FF0102'), 'INS FF P1=01 P2=02');
});

test('malformed bytes are described, never thrown', () => {
  assert.equal(d('00A4'), 'malformed command APDU (2 bytes)');
  assert.equal(d('00A4040C05D392'), 'malformed command APDU (7 bytes)');
  assert.equal(describeResponse(fromHex('90')), 'malformed response APDU (1 bytes)');
});

test('describeCommand accepts a parsed command too', () => {
  const c = command({ ins: 0xb0, p1: 0x00, p2: 0x10, ne: 7 });
  assert.equal(describeCommand(c), describeCommand(encodeCommand(c)));
});

test('describeResponse gives the status word and the length only', () => {
  const myNumber = new TextEncoder().encode('123456789018');
  const s = describeResponse(ok(myNumber));
  assert.equal(s, '9000 success, 12 bytes');
  assert.ok(!s.includes('1234'));
  assert.equal(describeResponse(status(0x63c2)), '63C2 verification failed, 2 tries left');
  assert.equal(describeResponse(fromHex('6A82')), '6A82 file or application not found');
});

test('isSecureMessaging by CLA', () => {
  for (const [cla, sm] of [
    [0x00, false],
    [0x0c, true],
    [0x04, true],
    [0x10, false],
    [0x80, false],
    [0x84, true],
    [0x60, true],
    [0x40, false],
    [0xff, false],
  ] as const) {
    assert.equal(isSecureMessaging(cla), sm, cla.toString(16));
  }
});
