/**
 * CHANGE REFERENCE DATA (暗証番号の変更): the holder changes a PIN with the old
 * one. A wrong old PIN counts a try; a new PIN against the rules is refused
 * before anything is tried or written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Card } from '@myna-ap/card';
import { AIDS, fresh, selectAid, selectEf, tx, verify } from './fixture.ts';

const ascii = (s: string) => Array.from(new TextEncoder().encode(s));

function change(card: Card, data: string, p1 = 0x00, p2 = 0x80): number {
  const d = ascii(data);
  return tx(card, Uint8Array.of(0x00, 0x24, p1, p2, d.length, ...d)).sw;
}

function at(card: Card, aid: string, fid: number): void {
  assert.equal(selectAid(card, aid), 0x9000);
  assert.equal(selectEf(card, fid), 0x9000);
}

test('each holder PIN changes with the old one; the new one is then the PIN', async () => {
  const card = await fresh();
  for (const [aid, fid, old, neu] of [
    [AIDS.jpki, 0x18, '1234', '5678'],
    [AIDS.jpki, 0x1b, 'ABC123', 'XYZ7890QRS'],
    [AIDS.text, 0x11, '1234', '0000'],
    [AIDS.juki, 0x11, '1234', '9999'],
  ] as const) {
    at(card, aid, fid);
    assert.equal(change(card, old + neu), 0x9000, `${aid}/${fid}`);
    assert.equal(verify(card, old), 0x63c0 | (fid === 0x1b ? 4 : 2), 'old PIN gone');
    assert.equal(verify(card, neu), 0x9000, 'new PIN works (and the counter is back)');
  }
});

test('the sign password: old and new of different lengths are told apart', async () => {
  const card = await fresh();
  at(card, AIDS.jpki, 0x1b);
  assert.equal(change(card, 'ABC123' + 'A1B2C3D4E5F6G7H8'), 0x9000);
  assert.equal(verify(card, 'A1B2C3D4E5F6G7H8'), 0x9000);
  assert.equal(change(card, 'A1B2C3D4E5F6G7H8' + 'Z9Y8X7'), 0x9000);
  assert.equal(verify(card, 'Z9Y8X7'), 0x9000);
});

test('a wrong old PIN counts a try and drops a verification; a locked PIN stays locked', async () => {
  const card = await fresh();
  at(card, AIDS.jpki, 0x18);
  assert.equal(verify(card, '1234'), 0x9000);
  assert.equal(change(card, '1111' + '5678'), 0x63c2);
  assert.equal(card.image.jpki.pins['0018']!.triesLeft, 2, 'counted in the image');
  assert.equal(change(card, '5678', 0x01), 0x6982, 'the verification went with the wrong try');
  assert.equal(change(card, '1111' + '5678'), 0x63c1);
  assert.equal(change(card, '1111' + '5678'), 0x63c0);
  assert.equal(change(card, '1234' + '5678'), 0x6984, 'locked: even the right old PIN');
  assert.equal(verify(card, '1234'), 0x6984);
});

test('a new PIN against the rules: 6A 80, no try spent, nothing written', async () => {
  const card = await fresh();
  for (const [aid, fid, data] of [
    [AIDS.jpki, 0x18, '1234' + '12a4'],
    [AIDS.jpki, 0x18, '1234' + '123'],
    [AIDS.jpki, 0x18, '1234' + '12345'],
    [AIDS.jpki, 0x1b, 'ABC123' + 'abc123'],
    [AIDS.jpki, 0x1b, 'ABC123' + 'ABCDEF'],
    [AIDS.jpki, 0x1b, 'ABC123' + '123456'],
    [AIDS.jpki, 0x1b, 'ABC123' + 'AB1'],
    [AIDS.text, 0x11, '1234' + '１２３４'],
    [AIDS.juki, 0x11, '1234'],
  ] as const) {
    at(card, aid, fid);
    const gen = card.generation;
    assert.equal(change(card, data), 0x6a80, data);
    assert.equal(card.generation, gen, `${data}: nothing written`);
  }
  at(card, AIDS.jpki, 0x18);
  assert.equal(verify(card, '1234'), 0x9000, 'all tries still there');
});

test('P1 01: the new PIN alone, after VERIFY in this DF', async () => {
  const card = await fresh();
  at(card, AIDS.text, 0x11);
  assert.equal(change(card, '4321', 0x01), 0x6982, 'not verified');
  assert.equal(verify(card, '1234'), 0x9000);
  assert.equal(change(card, '43x1', 0x01), 0x6a80);
  assert.equal(change(card, '4321', 0x01), 0x9000);
  assert.equal(change(card, '5555', 0x01), 0x6982, 'verify again after a change');
  assert.equal(verify(card, '4321'), 0x9000);
});

test('照合番号 A and B, data EFs and bad forms are refused', async () => {
  const card = await fresh();
  at(card, AIDS.visual, 0x12);
  assert.equal(change(card, '90010120364321' + '90010120364322'), 0x6985);
  at(card, AIDS.text, 0x14);
  assert.equal(change(card, '123456789018' + '123456789018'), 0x6985);
  at(card, AIDS.text, 0x02);
  assert.equal(change(card, '12345678'), 0x6981);
  at(card, AIDS.jpki, 0x18);
  assert.equal(change(card, '12345678', 0x02), 0x6a86);
  assert.equal(change(card, '12345678', 0x00, 0x01), 0x6a86);
  assert.equal(tx(card, '00240080').sw, 0x6700, 'no data');
  assert.equal(change(card, 'A'.repeat(33)), 0x6700);
  // P2 = 80|SFI names the PIN without a SELECT
  selectAid(card, AIDS.jpki);
  assert.equal(change(card, '1234' + '8765', 0x00, 0x98), 0x9000);
  selectEf(card, 0x18);
  assert.equal(verify(card, '8765'), 0x9000);
});
