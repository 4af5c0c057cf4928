/**
 * 有効期限 as a pure rule: valid through the expiry day in Japan. Kept apart from the
 * load test (cardValidity.test.ts) so the rule's mutation run stays fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoaderError } from '../src/errors.ts';
import { checkCardNotExpired } from '../src/domain/rules/cardValidity.ts';

const code = (c: string) => (e: unknown) => e instanceof LoaderError && e.code === c;

test('rule: valid through the expiry day in Japan, expired from 00:00 JST the day after', () => {
  const lastDay = new Date('2026-05-31T23:59:59+09:00');
  checkCardNotExpired('2026-05-31', lastDay);
  assert.throws(
    () => checkCardNotExpired('2026-05-31', new Date('2026-06-01T00:00:00+09:00')),
    (e: unknown) =>
      code('CARD_EXPIRED')(e) &&
      (e as LoaderError).detail?.['expiry'] === '2026-05-31' &&
      (e as LoaderError).text.ja.includes('2026-05-31') &&
      (e as LoaderError).text.en.includes('2026-05-31'),
  );
});

test('rule: no readable expiry is refused, not taken as valid', () => {
  for (const bad of [null, '2026-02-30', 'soon', '']) {
    assert.throws(
      () => checkCardNotExpired(bad, new Date('2026-06-01')),
      code('CARD_DATA_INVALID'),
    );
  }
});

test('rule: the unreadable-expiry refusal says why in both languages', () => {
  assert.throws(
    () => checkCardNotExpired(null, new Date('2026-06-01')),
    (e: unknown) =>
      code('CARD_DATA_INVALID')(e) &&
      /expiry date/.test((e as LoaderError).text.en) &&
      /有効期限/.test((e as LoaderError).text.ja),
  );
});
