import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApduError, command, encodeCommand, fromHex, parseCommand, toHex } from '@myna-ap/apdu';

test('short case 3: SELECT JPKI AP by DF name round-trips', () => {
  const b = fromHex('00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01');
  const c = parseCommand(b);
  assert.equal(c.ins, 0xa4);
  assert.equal(c.data.length, 10);
  assert.equal(c.ne, undefined);
  assert.equal(toHex(encodeCommand(c)), toHex(b));
});

test('short case 2: Le 00 means 256', () => {
  assert.equal(parseCommand(fromHex('00B0000000')).ne, 256);
});

test('extended case 4 round-trips', () => {
  const c = command({ ins: 0x2a, p1: 0x9e, p2: 0x9a, data: new Uint8Array(300), ne: 65536 });
  const b = encodeCommand(c);
  assert.equal(b.length, 4 + 3 + 300 + 2);
  assert.deepEqual(parseCommand(b), c);
});

test('Lc that does not match the body is ApduError', () => {
  assert.throws(() => parseCommand(fromHex('00A4040C05D392')), ApduError);
  assert.throws(() => parseCommand(fromHex('00A4')), ApduError);
  assert.throws(() => parseCommand(fromHex('00A4040C0000')), ApduError);
});
