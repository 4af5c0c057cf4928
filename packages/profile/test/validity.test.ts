/** Card validity (有効期間): the 10th birthday after issue, the 5th for a holder under 18. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOn, cardExpiryDate, isCardExpired, parseIsoDate } from '@myna-ap/profile';

test('the 10th birthday after the day of issue for adults', () => {
  assert.equal(cardExpiryDate('1990-01-01', '2026-11-23'), '2036-01-01');
  assert.equal(
    cardExpiryDate('1990-12-01', '2026-11-23'),
    '2035-12-01',
    'birthday still ahead this year',
  );
  assert.equal(
    cardExpiryDate('1990-11-23', '2026-11-23'),
    '2036-11-23',
    'issued on the birthday: counts from the next',
  );
});

test('the 5th birthday for holders under 18 on the day of issue (current law, not the seed’s 20)', () => {
  assert.equal(cardExpiryDate('2010-06-15', '2026-11-23'), '2031-06-15');
  assert.equal(cardExpiryDate('2008-11-24', '2026-11-23'), '2030-11-24', '17, turns 18 tomorrow');
  assert.equal(cardExpiryDate('2008-11-23', '2026-11-23'), '2036-11-23', '18 today: adult');
  // 18 and 19 year olds were minors under the seed's rule; today they get 10 years
  assert.equal(cardExpiryDate('2007-05-01', '2026-11-23'), '2036-05-01');
  assert.equal(cardExpiryDate('2026-11-01', '2026-11-23'), '2031-11-01', 'a baby');
});

test('29 February: 28 February in common years', () => {
  assert.equal(cardExpiryDate('2000-02-29', '2026-11-23'), '2036-02-29');
  assert.equal(cardExpiryDate('2000-02-29', '2027-11-23'), '2037-02-28');
  assert.equal(ageOn(parseIsoDate('2008-02-29')!, parseIsoDate('2026-02-28')!), 18);
});

test('bad dates are refused', () => {
  assert.throws(() => cardExpiryDate('1990-02-30', '2026-11-23'), RangeError);
  assert.throws(() => cardExpiryDate('2027-01-01', '2026-11-23'), RangeError);
  assert.throws(() => cardExpiryDate('1990-01-01', '20261123'), RangeError);
  assert.throws(() => isCardExpired('2036-13-01', new Date()), RangeError);
});

test('a card is valid to the end of its expiry day in Japan', () => {
  assert.equal(isCardExpired('20360101', new Date('2036-01-01T14:59:59Z')), false);
  assert.equal(isCardExpired('2036-01-01', new Date('2036-01-01T15:00:00Z')), true);
  assert.equal(isCardExpired('2036-01-01', new Date('2035-12-31T15:00:00Z')), false);
});
