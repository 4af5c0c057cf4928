/** Settlement (精算) as a pure function: limits counted again, flags, totals per company, the CSVs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RULES, parseDay } from '../src/rules.ts';
import { detailCsv, settle, summaryCsv, type SettleRide } from '../src/settlement.ts';

const U1 = 'A'.repeat(26);
const U2 = 'B'.repeat(26);
let seq = 0;
function ride(userId: string, at: string, o: Partial<SettleRide> = {}): SettleRide {
  return {
    terminalId: 't1',
    seq: ++seq,
    userId,
    company: 'maebashi-kotsu',
    atMs: Date.parse(at),
    fareYen: 1500,
    subsidyYen: 750,
    boardInCity: true,
    alightInCity: true,
    voided: false,
    registered: true,
    ...o,
  };
}
const d = (s: string) => parseDay(s)!;

test('a third ride of a day (two terminals offline) is flagged, not dropped, and not paid', () => {
  const rides = [
    ride(U1, '2026-06-01T09:00:00+09:00', { terminalId: 't1' }),
    ride(U1, '2026-06-01T18:00:00+09:00', { terminalId: 't2', company: 'other-taxi' }),
    ride(U1, '2026-06-01T12:00:00+09:00', { terminalId: 't2', company: 'other-taxi' }),
    ride(U2, '2026-06-01T12:00:00+09:00'),
  ];
  const s = settle(rides, d('2026-06-01'), d('2026-06-30'), DEFAULT_RULES);
  assert.equal(s.rides.length, 4);
  const flagOf = (at: string) =>
    s.rides.find((r) => r.ride.atMs === Date.parse(at) && r.ride.userId === U1)?.flag;
  // In time order, whatever order they were synced in: the evening ride is the third.
  assert.equal(flagOf('2026-06-01T09:00:00+09:00'), 'ok');
  assert.equal(flagOf('2026-06-01T12:00:00+09:00'), 'ok');
  assert.equal(flagOf('2026-06-01T18:00:00+09:00'), 'over_daily');
  const other = s.companies.find((c) => c.company === 'other-taxi')!;
  assert.deepEqual(other, {
    company: 'other-taxi',
    rides: 2,
    paidRides: 1,
    payableYen: 750,
    flaggedRides: 1,
    flaggedYen: 750,
  });
  const mk = s.companies.find((c) => c.company === 'maebashi-kotsu')!;
  assert.equal(mk.payableYen, 1500);
});

test('the yearly limit counts the year’s rides before the period; only the period is reported', () => {
  const rides: SettleRide[] = [];
  // 70 rides in April–May 2026 (fiscal 2026), then one in June.
  for (let i = 0; i < 35; i++) {
    const dd = new Date(Date.parse('2026-04-01T00:00:00+09:00') + i * 86_400_000);
    rides.push(ride(U1, new Date(dd.getTime() + 9 * 3600_000).toISOString()));
    rides.push(ride(U1, new Date(dd.getTime() + 15 * 3600_000).toISOString()));
  }
  rides.push(ride(U1, '2026-06-10T10:00:00+09:00'));
  rides.push(ride(U1, '2027-04-02T10:00:00+09:00')); // after the period: ignored
  const s = settle(rides, d('2026-06-01'), d('2026-06-30'), DEFAULT_RULES);
  assert.equal(s.rides.length, 1);
  assert.equal(s.rides[0]!.flag, 'over_yearly');
  assert.equal(s.companies[0]!.payableYen, 0);
  assert.equal(s.companies[0]!.flaggedYen, 750);
  // A flagged ride does not count toward the limit: the new year starts at zero.
  const next = settle(rides, d('2027-04-01'), d('2027-04-30'), DEFAULT_RULES);
  assert.equal(next.rides[0]!.flag, 'ok');
});

test('a flagged ride does not use up the day: one over-limit ride leaves the next day whole', () => {
  const rides = [
    ride(U1, '2026-06-01T08:00:00+09:00'),
    ride(U1, '2026-06-01T09:00:00+09:00'),
    ride(U1, '2026-06-01T10:00:00+09:00'),
    ride(U1, '2026-06-02T08:00:00+09:00'),
    ride(U1, '2026-06-02T09:00:00+09:00'),
  ];
  const s = settle(rides, d('2026-06-01'), d('2026-06-02'), DEFAULT_RULES);
  assert.deepEqual(
    s.rides.map((r) => r.flag),
    ['ok', 'ok', 'over_daily', 'ok', 'ok'],
  );
});

test('voided, out-of-city and unregistered rides: listed, flagged, unpaid; voided ones not “to check”', () => {
  const rides = [
    ride(U1, '2026-06-01T08:00:00+09:00', { voided: true }),
    ride(U1, '2026-06-01T09:00:00+09:00', { boardInCity: false, alightInCity: false }),
    ride(U2, '2026-06-01T09:00:00+09:00', { registered: false }),
    ride(U1, '2026-06-01T10:00:00+09:00'),
    ride(U1, '2026-06-01T11:00:00+09:00'),
  ];
  const s = settle(rides, d('2026-06-01'), d('2026-06-01'), DEFAULT_RULES);
  assert.deepEqual(
    s.rides.map((r) => r.flag),
    ['voided', 'outside_city', 'unregistered', 'ok', 'ok'],
  );
  // A voided ride did not use one of the day's two.
  assert.deepEqual(s.companies[0], {
    company: 'maebashi-kotsu',
    rides: 5,
    paidRides: 2,
    payableYen: 1500,
    flaggedRides: 2,
    flaggedYen: 1500,
  });
});

test('the day is Japan’s: a ride at 15:30 UTC counts on the next day', () => {
  const rides = [
    ride(U1, '2026-06-01T10:00:00+09:00'),
    ride(U1, '2026-06-01T11:00:00+09:00'),
    ride(U1, '2026-06-01T15:30:00Z'), // 00:30 on 06-02 in Japan
  ];
  const s = settle(rides, d('2026-06-01'), d('2026-06-02'), DEFAULT_RULES);
  assert.deepEqual(
    s.rides.map((r) => r.flag),
    ['ok', 'ok', 'ok'],
  );
});

test('the CSVs: header, CRLF, totals per company, every ride with its flag, formulas defused', () => {
  const rides = [
    ride(U1, '2026-06-01T10:00:00+09:00', { company: '=cmd' }),
    ride(U1, '2026-06-01T11:00:00+09:00'),
  ];
  const s = settle(rides, d('2026-06-01'), d('2026-06-30'), DEFAULT_RULES);
  const sum = summaryCsv(s);
  assert.ok(
    sum.startsWith('company,from,to,rides,paid_rides,payable_yen,flagged_rides,flagged_yen\r\n'),
  );
  assert.ok(sum.includes("'=cmd,2026-06-01,2026-06-30,1,1,750,0,0\r\n"), sum);
  assert.ok(sum.includes('maebashi-kotsu,2026-06-01,2026-06-30,1,1,750,0,0\r\n'), sum);
  const detail = [...detailCsv(s)];
  assert.equal(detail.length, 3);
  assert.match(
    detail[2]!,
    /^maebashi-kotsu,t1,\d+,A{26},2026-06-01,2026-06-01T02:00:00\.000Z,1500,750,true,true,ok,750\r\n$/,
  );
});
