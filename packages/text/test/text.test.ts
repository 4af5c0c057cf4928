import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentLang, defineCatalogue, langFromAcceptLanguage, t, text } from '@myna-ap/text';

test('currentLang follows MYNA_LANG before the locale variables', () => {
  assert.equal(currentLang({ MYNA_LANG: 'ja', LANG: 'en_US.UTF-8' }), 'ja');
  assert.equal(currentLang({ MYNA_LANG: 'en', LANG: 'ja_JP.UTF-8' }), 'en');
  assert.equal(currentLang({ LC_ALL: 'ja_JP.UTF-8' }), 'ja');
  assert.equal(currentLang({ LANG: 'ja_JP.UTF-8' }), 'ja');
  assert.equal(currentLang({}), 'en');
  assert.equal(t(text('card removed', 'カードが抜かれました'), 'ja'), 'カードが抜かれました');
  assert.equal(t(text('card removed', 'カードが抜かれました'), 'en'), 'card removed');
});

test('langFromAcceptLanguage takes the highest q among ja and en', () => {
  assert.equal(langFromAcceptLanguage(undefined), 'ja');
  assert.equal(langFromAcceptLanguage(undefined, 'en'), 'en');
  assert.equal(langFromAcceptLanguage('en-US,en;q=0.9'), 'en');
  assert.equal(langFromAcceptLanguage('en;q=0.5, ja;q=0.8'), 'ja');
  assert.equal(langFromAcceptLanguage('ja-JP'), 'ja');
  assert.equal(langFromAcceptLanguage('fr, en;q=0.1'), 'en');
  assert.equal(langFromAcceptLanguage('fr', 'en'), 'en');
  assert.equal(langFromAcceptLanguage('en;q=0, ja;q=0.1'), 'ja');
});

test('defineCatalogue refuses codes that are not UPPER_SNAKE and entries without both texts', () => {
  const c = defineCatalogue({
    AREA_FULL: { status: 409, en: 'area full', ja: '領域の空きが不足' },
  });
  assert.equal(c.AREA_FULL.status, 409);
  assert.throws(() => defineCatalogue({ areaFull: { en: 'a', ja: 'b' } }), /UPPER_SNAKE/);
  assert.throws(() => defineCatalogue({ X: { en: 'a', ja: '' } }), /lacks a text/);
  assert.ok(Object.isFrozen(c));
});
