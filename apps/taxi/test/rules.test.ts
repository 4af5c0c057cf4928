/** The pure rules of マイタク: days and years, the limits, the city condition, the subsidy, the card's counter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RULES,
  NO_RIDES,
  countedYear,
  dayString,
  decideRide,
  decodeCounter,
  encodeCounter,
  jstDayNumber,
  parseDay,
  subsidyOf,
  taxiRules,
  type RideCounter,
} from '../src/rules.ts';

const IN = { boardInCity: true, alightInCity: true };
const day = (s: string) => parseDay(s)!;

test('a ride is counted on its day in Japan: 23:59 and 00:00 JST are different days', () => {
  const late = jstDayNumber(new Date('2026-06-01T23:59:59+09:00'));
  const next = jstDayNumber(new Date('2026-06-02T00:00:00+09:00'));
  assert.equal(dayString(late), '2026-06-01');
  assert.equal(next, late + 1);
  // 14:59 UTC is 23:59 JST of the same date; 15:00 UTC is the next day in Japan.
  assert.equal(dayString(jstDayNumber(new Date('2026-06-01T15:00:00Z'))), '2026-06-02');
  assert.throws(() => jstDayNumber(new Date('nonsense')), { code: 'RIDE_INVALID' });
});

test('parseDay takes real calendar days only', () => {
  assert.equal(dayString(day('2028-02-29')), '2028-02-29');
  for (const bad of ['2027-02-29', '2026-13-01', '2026-6-1', '', '2026-06-01T00:00'])
    assert.equal(parseDay(bad), undefined, bad);
});

test('the counted year is the fiscal year (年度) from April by default, or the calendar year', () => {
  assert.equal(countedYear(day('2027-03-31'), DEFAULT_RULES), 2026);
  assert.equal(countedYear(day('2027-04-01'), DEFAULT_RULES), 2027);
  assert.equal(countedYear(day('2027-01-01'), { yearStartMonth: 1 }), 2027);
  assert.equal(countedYear(day('2026-12-31'), { yearStartMonth: 1 }), 2026);
});

test('rules: the seeds’ defaults, and a bad setting refused with both languages', () => {
  assert.deepEqual(taxiRules(), DEFAULT_RULES);
  assert.equal(DEFAULT_RULES.dailyLimit, 2);
  assert.equal(DEFAULT_RULES.yearlyLimit, 70);
  assert.equal(taxiRules({ yearlyLimit: 100 }).yearlyLimit, 100);
  for (const bad of [
    { dailyLimit: 0 },
    { dailyLimit: 256 },
    { dailyLimit: 1.5 },
    { dailyLimit: '2' },
    { yearlyLimit: 1, dailyLimit: 2 },
    { yearlyLimit: 65536 },
    { subsidyPercent: 101 },
    { subsidyPercent: -1 },
    { subsidyCapYen: -5 },
    { yearStartMonth: 0 },
    { yearStartMonth: 13 },
  ]) {
    assert.throws(
      () => taxiRules(bad),
      (e: { code: string; text: { ja: string; en: string } }) =>
        e.code === 'RULES_INVALID' && e.text.ja.length > 0 && e.text.en.length > 0,
      JSON.stringify(bad),
    );
  }
});

test('the card counter round-trips in 8 bytes; zeros are a card never ridden', () => {
  const c: RideCounter = { year: 2026, yearRides: 69, day: 20605, dayRides: 2 };
  const b = encodeCounter(c);
  assert.equal(b.length, 8);
  assert.deepEqual(decodeCounter(b), c);
  assert.deepEqual(decodeCounter(new Uint8Array(242)), NO_RIDES);
  // The bytes after the counter (the rest of the 255-byte card AP) are not read.
  assert.deepEqual(decodeCounter(Uint8Array.of(...b, 0xff, 0xff)), c);
  assert.throws(() => decodeCounter(new Uint8Array(7)), { code: 'CARD_COUNTER_INVALID' });
  assert.throws(() => decodeCounter(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0)), {
    code: 'CARD_COUNTER_INVALID',
  });
  assert.throws(() => encodeCounter({ ...c, dayRides: 256 }), { code: 'CARD_COUNTER_INVALID' });
  assert.throws(() => encodeCounter({ ...c, yearRides: -1 }), { code: 'CARD_COUNTER_INVALID' });
  assert.throws(() => encodeCounter({ ...c, year: 65536 }), { code: 'CARD_COUNTER_INVALID' });
});

test('2 rides a day: the third of the day is refused, the next day starts again', () => {
  const d = day('2026-06-01');
  let c = NO_RIDES;
  for (const n of [1, 2]) {
    const r = decideRide(c, d, IN, DEFAULT_RULES);
    assert.ok(r.ok);
    assert.deepEqual(r.next, { year: 2026, yearRides: n, day: d, dayRides: n });
    c = r.next;
  }
  assert.deepEqual(decideRide(c, d, IN, DEFAULT_RULES), { ok: false, reason: 'DAILY_LIMIT' });
  const tomorrow = decideRide(c, d + 1, IN, DEFAULT_RULES);
  assert.ok(tomorrow.ok);
  assert.deepEqual(tomorrow.next, { year: 2026, yearRides: 3, day: d + 1, dayRides: 1 });
});

test('70 rides a year: the 71st is refused, and the new fiscal year starts at 0', () => {
  const c: RideCounter = { year: 2026, yearRides: 70, day: day('2027-03-30'), dayRides: 1 };
  assert.deepEqual(decideRide(c, day('2027-03-31'), IN, DEFAULT_RULES), {
    ok: false,
    reason: 'YEARLY_LIMIT',
  });
  const april = decideRide(c, day('2027-04-01'), IN, DEFAULT_RULES);
  assert.ok(april.ok);
  assert.deepEqual(april.next, { year: 2027, yearRides: 1, day: day('2027-04-01'), dayRides: 1 });
  // 69 → the 70th is still allowed.
  assert.ok(decideRide({ ...c, yearRides: 69 }, day('2027-03-31'), IN, DEFAULT_RULES).ok);
  // Configurable: 3 a day.
  const three = taxiRules({ dailyLimit: 3 });
  assert.ok(
    decideRide(
      { ...c, yearRides: 5, dayRides: 2, day: day('2027-03-31') },
      day('2027-03-31'),
      IN,
      three,
    ).ok,
  );
});

test('one end inside the city is enough; both outside is refused', () => {
  const d = day('2026-06-01');
  assert.ok(decideRide(NO_RIDES, d, { boardInCity: true, alightInCity: false }, DEFAULT_RULES).ok);
  assert.ok(decideRide(NO_RIDES, d, { boardInCity: false, alightInCity: true }, DEFAULT_RULES).ok);
  assert.deepEqual(
    decideRide(NO_RIDES, d, { boardInCity: false, alightInCity: false }, DEFAULT_RULES),
    { ok: false, reason: 'OUTSIDE_CITY' },
  );
});

test('a terminal clock behind the card’s last day never gives rides back', () => {
  // Another terminal counted 2 rides on 06-02; this one believes it is 06-01.
  const c: RideCounter = { year: 2026, yearRides: 10, day: day('2026-06-02'), dayRides: 2 };
  assert.deepEqual(decideRide(c, day('2026-06-01'), IN, DEFAULT_RULES), {
    ok: false,
    reason: 'DAILY_LIMIT',
  });
  // With one ride that day, the next is counted on the card's day, not the terminal's.
  const r = decideRide({ ...c, dayRides: 1 }, day('2026-06-01'), IN, DEFAULT_RULES);
  assert.ok(r.ok);
  assert.equal(r.next.day, day('2026-06-02'));
  assert.equal(r.next.dayRides, 2);
  // Nor does a clock back in the previous fiscal year reset the year's count.
  const y: RideCounter = { year: 2027, yearRides: 70, day: day('2027-04-01'), dayRides: 0 };
  assert.deepEqual(decideRide(y, day('2027-03-31'), IN, DEFAULT_RULES), {
    ok: false,
    reason: 'YEARLY_LIMIT',
  });
});

test('the subsidy: half the fare rounded down, at most ¥1,000 by default; bad fares refused', () => {
  assert.deepEqual(subsidyOf(1500, DEFAULT_RULES), { subsidyYen: 750, passengerYen: 750 });
  assert.deepEqual(subsidyOf(1501, DEFAULT_RULES), { subsidyYen: 750, passengerYen: 751 });
  assert.deepEqual(subsidyOf(5000, DEFAULT_RULES), { subsidyYen: 1000, passengerYen: 4000 });
  assert.deepEqual(subsidyOf(1, DEFAULT_RULES), { subsidyYen: 0, passengerYen: 1 });
  assert.deepEqual(subsidyOf(5000, { subsidyPercent: 50, subsidyCapYen: 0 }), {
    subsidyYen: 2500,
    passengerYen: 2500,
  });
  assert.deepEqual(subsidyOf(800, { subsidyPercent: 100, subsidyCapYen: 500 }), {
    subsidyYen: 500,
    passengerYen: 300,
  });
  for (const bad of [0, -100, 1.5, Number.NaN, 1_000_001])
    assert.throws(() => subsidyOf(bad, DEFAULT_RULES), { code: 'RIDE_INVALID' }, String(bad));
});
