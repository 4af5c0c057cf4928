/** The per-day chart's counting (Japan-time days, zeros kept) and its axis, without a browser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dailyCounts, jstDay, niceMax } from '../src/dailyCounts.ts';
import { closedFromText, closedToText } from '../src/closedDays.ts';
import type { AuditRow } from '../src/types.ts';

const row = (at: string, action: string): AuditRow => ({
  seq: 0,
  id: 'au_000000000000000000000000',
  at,
  actor: 'op',
  action,
  target: null,
  detail: {},
  leafHash: '',
  prevHash: null,
  hash: null,
});

test('jstDay: the day in Japan, nine hours ahead of UTC', () => {
  assert.equal(jstDay('2026-12-07T14:59:59Z'), '2026-12-07');
  assert.equal(jstDay('2026-12-07T15:00:00Z'), '2026-12-08');
});

test('dailyCounts: loads and refusals per Japan-time day, oldest first, empty days kept', () => {
  const today = new Date('2026-12-08T03:00:00Z'); // 12:00 in Japan
  const rows = [
    row('2026-12-07T15:30:00Z', 'instance.installed'), // 12-08 00:30 JST
    row('2026-12-07T14:30:00Z', 'instance.installed'), // 12-07 23:30 JST
    row('2026-12-08T01:00:00Z', 'load.refused'),
    row('2026-12-08T01:00:00Z', 'instance.install_refused'),
    row('2026-12-08T01:00:00Z', 'instance.deleted'), // neither
    row('2026-12-05T00:00:00Z', 'instance.installed'), // before the window
  ];
  assert.deepEqual(dailyCounts(rows, today, 3), [
    { day: '2026-12-06', loads: 0, refusals: 0 },
    { day: '2026-12-07', loads: 1, refusals: 0 },
    { day: '2026-12-08', loads: 1, refusals: 2 },
  ]);
  assert.equal(dailyCounts([], today, 14).length, 14);
  // Across a month's end.
  assert.deepEqual(
    dailyCounts([], new Date('2026-03-01T00:00:00Z'), 2).map((d) => d.day),
    ['2026-02-28', '2026-03-01'],
  );
  assert.throws(() => dailyCounts([], today, 0), RangeError);
  assert.throws(() => dailyCounts([], today, 1.5), RangeError);
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
