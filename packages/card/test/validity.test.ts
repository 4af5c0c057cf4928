/**
 * The card's validity (@myna-ap/profile) beside its certificates' (@myna-ap/pki):
 * a minor's card and its certificates end on the same day.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fifthBirthdayAfter } from '@myna-ap/pki';
import { cardExpiryDate, japanDate } from '@myna-ap/profile';

// Issued on the birthday itself the two differ: the card counts from the next
// birthday (民法第140条, the first day not counted), pki's fifthBirthdayAfter
// counts that day's own birthday. Left to the pki package; see the card README.
test('a minor’s card ends on the day its certificates end (pki’s fifthBirthdayAfter)', () => {
  for (const [birth, issue] of [
    ['2010-06-15', '2026-11-23'],
    ['2012-02-29', '2026-03-01'],
    ['2015-12-30', '2026-12-31'],
  ] as const) {
    const certEnd = fifthBirthdayAfter(birth, new Date(`${issue}T12:00:00+09:00`));
    assert.equal(cardExpiryDate(birth, issue), japanDate(certEnd), `${birth} issued ${issue}`);
  }
});
