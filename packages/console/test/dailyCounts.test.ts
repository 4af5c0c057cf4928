/** The per-day chart's Japan-time day and its axis, and the closed days' text, without a browser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jstDay, niceMax } from '../src/dailyCounts.ts';
import { closedFromText, closedToText } from '../src/closedDays.ts';

test('jstDay: the day in Japan, nine hours ahead of UTC', () => {
  assert.equal(jstDay('2026-12-07T14:59:59Z'), '2026-12-07');
  assert.equal(jstDay('2026-12-07T15:00:00Z'), '2026-12-08');
});

test('niceMax: a round top at or above the largest bar', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 5, 6, 10, 11, 99, 101].map(niceMax),
    [1, 1, 2, 5, 5, 10, 10, 20, 100, 200],
  );
});

test('closed days: text and ranges both ways; a single day stands alone', () => {
  const closed: [string, string][] = [
    ['12-29', '01-03'],
    ['05-03', '05-03'],
  ];
  assert.equal(closedToText(closed, ', '), '12-29..01-03, 05-03');
  assert.deepEqual(closedFromText('12-29..01-03, 05-03'), closed);
  assert.deepEqual(closedFromText('12-29..01-03、05-03'), closed);
  assert.deepEqual(closedFromText('  '), []);
});
