import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AID,
  CARD_AP_MAX_RECORD,
  CARD_AP_PIN,
  FIXED_PIN,
  FIXED_PINS,
  HOLDER_PINS,
  ISSUER_SD_AID,
  SD_AID,
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
