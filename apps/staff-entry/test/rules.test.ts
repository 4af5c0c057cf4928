/**
 * The permission rules as pure functions: windows by day and Japan time, a night
 * shift past midnight, the PIN for a secure room, and permissions checked whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideEntry,
  describePermission,
  jstClock,
  minutesOf,
  permissionFrom,
  permits,
} from '../src/rules.ts';

const jst = (s: string) => new Date(`${s}+09:00`);
// 2026-06-01 is a Monday.
const WEEKDAYS = permissionFrom({
  doorId: 'ROOM1',
  days: [1, 2, 3, 4, 5],
  from: '08:30',
  to: '18:00',
});
const NIGHT = permissionFrom({ doorId: 'SERVER', days: '5', from: '22:00', to: '06:00' });
const LOW = { doorId: 'ROOM1', level: 'low' as const };
const SECURE = { doorId: 'SERVER', level: 'secure' as const };

test('Japan time: the day of the week and the minute', () => {
  assert.deepEqual(jstClock(new Date('2026-05-31T23:30:00Z')), { weekday: 1, minute: 510 });
  assert.equal(minutesOf('08:30'), 510);
  assert.equal(minutesOf('24:00'), 1440);
  assert.equal(minutesOf('8:30'), undefined);
  assert.equal(minutesOf('25:00'), undefined);
});

test('a weekday window: inside, at its edges, another day', () => {
  assert.ok(permits(WEEKDAYS, jst('2026-06-01T08:30:00')));
  assert.ok(permits(WEEKDAYS, jst('2026-06-01T17:59:00')));
  assert.ok(!permits(WEEKDAYS, jst('2026-06-01T18:00:00')), 'the end is exclusive');
  assert.ok(!permits(WEEKDAYS, jst('2026-06-01T08:29:00')));
  assert.ok(!permits(WEEKDAYS, jst('2026-06-06T10:00:00')), 'Saturday');
});

test('a night shift past midnight belongs to the day it starts', () => {
  assert.ok(permits(NIGHT, jst('2026-06-05T23:00:00')), 'Friday night');
  assert.ok(permits(NIGHT, jst('2026-06-06T05:59:00')), 'early Saturday, the Friday shift');
  assert.ok(!permits(NIGHT, jst('2026-06-06T06:00:00')));
  assert.ok(!permits(NIGHT, jst('2026-06-05T05:00:00')), 'early Friday is Thursday’s shift');
  assert.ok(!permits(NIGHT, jst('2026-06-06T23:00:00')), 'Saturday night');
});

test('decideEntry: no permission, outside hours, the PIN for a secure room', () => {
  const at = jst('2026-06-01T10:00:00');
  assert.deepEqual(decideEntry(LOW, [WEEKDAYS], at, false), { ok: true });
  assert.deepEqual(decideEntry(LOW, [NIGHT], at, false), { ok: false, reason: 'NO_PERMISSION' });
  assert.deepEqual(decideEntry(LOW, [], at, true), { ok: false, reason: 'NO_PERMISSION' });
  assert.deepEqual(decideEntry(LOW, [WEEKDAYS], jst('2026-06-01T19:00:00'), false), {
    ok: false,
    reason: 'OUTSIDE_HOURS',
  });
  const night = jst('2026-06-05T23:00:00');
  assert.deepEqual(decideEntry(SECURE, [NIGHT], night, false), { ok: false, reason: 'PIN_NEEDED' });
  assert.deepEqual(decideEntry(SECURE, [NIGHT], night, true), { ok: true });
  // Hours are checked before the PIN: out of hours says so, whatever the PIN.
  assert.deepEqual(decideEntry(SECURE, [NIGHT], at, true), { ok: false, reason: 'OUTSIDE_HOURS' });
  // Two permissions for one door: either window opens it.
  const sat = permissionFrom({ doorId: 'ROOM1', days: [6], from: '09:00', to: '12:00' });
  assert.deepEqual(decideEntry(LOW, [WEEKDAYS, sat], jst('2026-06-06T10:00:00'), false), {
    ok: true,
  });
});

test('permissions checked whole: bad input is RULE_INVALID in both languages', () => {
  assert.deepEqual(WEEKDAYS, { doorId: 'ROOM1', days: [1, 2, 3, 4, 5], from: 510, to: 1080 });
  assert.equal(describePermission(WEEKDAYS), '月火水木金 08:30–18:00');
  assert.deepEqual(
    permissionFrom({ doorId: 'A', days: '3, 1,1', from: '00:00', to: '24:00' }).days,
    [1, 3],
  );
  for (const bad of [
    { doorId: '', days: [1], from: '08:00', to: '09:00' },
    { doorId: 'bad id!', days: [1], from: '08:00', to: '09:00' },
    { doorId: 'A', days: [], from: '08:00', to: '09:00' },
    { doorId: 'A', days: [7], from: '08:00', to: '09:00' },
    { doorId: 'A', days: [1.5], from: '08:00', to: '09:00' },
    { doorId: 'A', days: 'x', from: '08:00', to: '09:00' },
    { doorId: 'A', days: [1], from: '08:00', to: '08:00' },
    { doorId: 'A', days: [1], from: '24:00', to: '08:00' },
    { doorId: 'A', days: [1], from: '8時', to: '09:00' },
    { doorId: 'A', days: [1], from: '08:00' },
  ])
    assert.throws(
      () => permissionFrom(bad),
      (e: { code: string; text: { ja: string; en: string } }) =>
        e.code === 'RULE_INVALID' && e.text.ja.includes('曜日') && e.text.en.includes('days'),
      JSON.stringify(bad),
    );
});
