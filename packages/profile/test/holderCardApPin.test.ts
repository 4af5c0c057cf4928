import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holderCardApPinOk } from '@myna-ap/profile';

test('a holder’s card AP PIN: 4 to 16 ASCII digits or letters, nothing else', () => {
  for (const ok of ['1234', 'abcd', 'A1b2C3d4E5f6G7h8', '0000'])
    assert.ok(holderCardApPinOk(ok), ok);
  for (const bad of [
    '123', // too short
    'A1b2C3d4E5f6G7h8X', // 17
    '12 34',
    '12-4',
    '１２３４', // full-width digits
    'ａｂｃｄ',
    'abcd\n',
    '\n1234',
    '',
  ])
    assert.ok(!holderCardApPinOk(bad), JSON.stringify(bad));
});
