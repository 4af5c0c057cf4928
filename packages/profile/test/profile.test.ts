import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AID,
  CARD_AP_MAX_RECORD,
  CARD_AP_PIN,
  FIXED_PIN,
  FIXED_PINS,
  FOUR_DIGITS,
  HOLDER_PINS,
  ISSUER_SD_AID,
  PIN_A,
  PIN_B,
  SD_AID,
  SIGN_PASSWORD,
  aidHex,
  cardApFootprint,
  cardApPinLengthOk,
  cardApPinTriesOk,
  cardApRecordLengthOk,
  cardApType,
  isValidMunicipalityCode,
  isValidMyNumber,
  municipalityCheckDigit,
  myNumberCheckDigit,
} from '@myna-ap/profile';

test('the fixed applications’ AIDs are those of CARD.md', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(AID).map(([k, v]) => [k, aidHex(v)])), {
    jpki: 'D392F000260100000001',
    text: 'D3921000310001010408',
    visual: 'D3921000310001010402',
    juki: 'D3921000310001010401',
    common: 'D3921000310001010100',
  });
});

test('municipality codes: known answers of 全国地方公共団体コード', () => {
  // 千代田区, 札幌市, 大阪市, 那覇市, 横浜市 as published with their check digits.
  for (const code of ['131016', '011002', '271004', '472018', '141003']) {
    assert.equal(municipalityCheckDigit(code.slice(0, 5)), Number(code[5]), code);
    assert.ok(isValidMunicipalityCode(code), code);
  }
  assert.equal(isValidMunicipalityCode('131017'), false);
  assert.equal(isValidMunicipalityCode('13101'), false);
  assert.equal(isValidMunicipalityCode('13101a'), false);
  assert.throws(() => municipalityCheckDigit('1310'), RangeError);
});

test('My Number check digit: the ordinance’s formula, known answers and every wrong digit', () => {
  assert.equal(myNumberCheckDigit('12345678901'), 8);
  // Σ P·Q mod 11 ≤ 1 gives 0: all zeros (r = 0) and 10000000000 (P11·Q11 = 6, r = 6 → 5).
  assert.equal(myNumberCheckDigit('00000000000'), 0);
  assert.equal(myNumberCheckDigit('10000000000'), 5);
  assert.ok(isValidMyNumber('123456789018'));
  for (let d = 0; d <= 9; d++) {
    if (d !== 8) assert.equal(isValidMyNumber(`12345678901${d}`), false, String(d));
  }
  assert.equal(isValidMyNumber('12345678901'), false);
  assert.throws(() => myNumberCheckDigit('1234567890a'), RangeError);
});

test('card AP limits at their boundaries', () => {
  assert.equal(CARD_AP_MAX_RECORD, 232);
  assert.ok(cardApRecordLengthOk(1) && cardApRecordLengthOk(232));
  assert.ok(!cardApRecordLengthOk(0) && !cardApRecordLengthOk(233));
  assert.deepEqual([CARD_AP_PIN.min, CARD_AP_PIN.max], [4, 16]);
  assert.ok(cardApPinLengthOk(4) && cardApPinLengthOk(16));
  assert.ok(!cardApPinLengthOk(3) && !cardApPinLengthOk(17));
  assert.ok(cardApPinTriesOk(1) && cardApPinTriesOk(15));
  assert.ok(!cardApPinTriesOk(0) && !cardApPinTriesOk(16) && !cardApPinTriesOk(1.5));
  assert.equal(cardApFootprint(255), 288);
});

test('cardApType checks its input', () => {
  for (const t of ['A', 'C', 'D', 'custom']) assert.equal(cardApType(t), t);
  assert.throws(() => cardApType('B'), /one of A, C, D, custom/);
  assert.throws(() => cardApType('a'), RangeError);
});

test('the PIN table: every PIN once, with the tries CARD.md gives', () => {
  assert.equal(new Set(FIXED_PINS.map((p) => `${p.ap}/${p.ref}`)).size, FIXED_PINS.length);
  assert.equal(FIXED_PIN.jpki_auth.ref, 0x18);
  assert.equal(FIXED_PIN.jpki_auth.tries, 3);
  assert.equal(FIXED_PIN.jpki_sign.ref, 0x1b);
  assert.equal(FIXED_PIN.jpki_sign.tries, 5);
  assert.ok(FIXED_PIN.jpki_sign.format.pattern.test('ABC123'));
  assert.ok(!FIXED_PIN.jpki_sign.format.pattern.test('ABCDEF'));
  assert.ok(FIXED_PIN.text.format.pattern.test('1234'));
  assert.ok(!FIXED_PIN.text.format.pattern.test('12345'));
});

test('the holder chooses the 4-digit PINs and the sign password, never PIN A or PIN B', () => {
  assert.deepEqual(
    HOLDER_PINS.map((p) => p.name),
    ['jpki_auth', 'jpki_sign', 'text', 'juki'],
  );
  for (const p of FIXED_PINS) {
    assert.equal(p.holderSet, !/pin_[ab]$/.test(p.name), p.name);
  }
});

test('the card issuer’s SD sits beside the areas’ under the same RID', () => {
  assert.equal(aidHex(ISSUER_SD_AID), 'F04D594E41534400');
  assert.equal(aidHex(SD_AID.local).slice(0, 14), aidHex(ISSUER_SD_AID).slice(0, 14));
});

test('check digits take exactly their digits: nothing before, nothing after', () => {
  for (const bad of ['x12345678901', '12345678901x', '123456789012', '1234567890']) {
    assert.throws(() => myNumberCheckDigit(bad), /need 11 digits/, bad);
  }
  for (const bad of ['x123456789018', '123456789018x', '0123456789018', '1123456789018']) {
    assert.equal(isValidMyNumber(bad), false, bad);
  }
  for (const bad of ['x1310', '1310x', '131011', '0131']) {
    assert.throws(() => municipalityCheckDigit(bad), /need 5 digits/, bad);
  }
  for (const bad of ['x131016', '131016x', '1310160', '0131016']) {
    assert.equal(isValidMunicipalityCode(bad), false, bad);
  }
});

test('My Number check digit: r = 1 gives 0 as r = 0 does, r = 2 gives 9', () => {
  // '00000000006': P1 = 6, Q1 = 2, Σ = 12, r = 1; '00000000001': Σ = 2, r = 2.
  assert.equal(myNumberCheckDigit('00000000006'), 0);
  assert.ok(isValidMyNumber('000000000060'));
  assert.equal(myNumberCheckDigit('00000000001'), 9);
});

test('PIN formats: whole-string patterns, each described in both languages', () => {
  const cases = [
    [FOUR_DIGITS, ['0000', '1234'], ['123', '12345', 'a1234', '1234a', 'abcd'], '4'],
    [
      SIGN_PASSWORD,
      ['ABC123', 'A1BCDE', '1ABCDE', '12345A', 'ABCDEFGHIJKLMNO1'],
      ['ABCDEF', '123456', 'AB12C', 'ABCDEFGHIJKLMNOP1', 'abc123', 'ABC12!', '!ABC123', 'ABC123!'],
      '16',
    ],
    [
      PIN_A,
      ['123456789018'],
      ['12345678901', '1234567890123', 'a23456789018', '12345678901a', 'aaaaaaaaaaaa'],
      '12',
    ],
    [
      PIN_B,
      ['90010120341234'],
      ['9001012034123', '900101203412345', 'a0010120341234', '9001012034123a', 'aaaaaaaaaaaaaa'],
      '14',
    ],
  ] as const;
  for (const [format, good, bad, length] of cases) {
    for (const g of good) assert.ok(format.pattern.test(g), `${format.en}: ${g}`);
    for (const b of bad) assert.ok(!format.pattern.test(b), `${format.en}: ${b}`);
    // What a host shows a holder who typed a PIN of the wrong shape.
    assert.ok(format.en.includes(length) && format.ja.includes(length), format.en);
  }
  assert.match(SIGN_PASSWORD.en, /upper-case letters/);
  assert.match(SIGN_PASSWORD.ja, /英大文字/);
  assert.ok(FOUR_DIGITS.ja.includes('数字') && PIN_A.ja.includes('個人番号'));
  assert.ok(PIN_B.ja.includes('生年月日') && PIN_B.en.includes('birth'));
  // PIN A / PIN B are the formats of the text and visual APs' reference data.
  assert.equal(FIXED_PIN.text_pin_a.format, PIN_A);
  assert.equal(FIXED_PIN.visual_pin_b.format, PIN_B);
});
