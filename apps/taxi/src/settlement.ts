/**
 * The city's settlement with the taxi companies (精算, seeds/003 ③): every synced
 * ride of a period, counted again per holder in time order against the limits. The
 * card enforces the limits where it can (one card, one terminal at a time); two
 * terminals that saw the same card offline, or a clock far off, can let a ride past
 * them — such a ride is flagged here, with its amount, never dropped. Pure: the
 * store hands the rides in.
 */
import { countedYear, dayString, jstDayOfMs, type TaxiRules } from './rules.ts';

export interface SettleRide {
  readonly terminalId: string;
  readonly seq: number;
  readonly userId: string;
  readonly company: string;
  /** The ride's time on the city's clock (the terminal's, corrected by its skew), ms. */
  readonly atMs: number;
  readonly fareYen: number;
  readonly subsidyYen: number;
  readonly boardInCity: boolean;
  readonly alightInCity: boolean;
  /** A later void record of the same terminal cancelled it (the card never counted it). */
  readonly voided: boolean;
  /** The holder is in the city's register (利用登録). */
  readonly registered: boolean;
}

/**
 * What settlement made of a ride: paid, or why not. Only `ok` rides count toward a
 * holder's limits, so one extra ride does not push the holder's next day out.
 */
export type RideFlag =
  'ok' | 'over_daily' | 'over_yearly' | 'outside_city' | 'unregistered' | 'voided';

export interface SettledRide {
  readonly ride: SettleRide;
  readonly flag: RideFlag;
  /** What the city pays for it: its subsidy when `ok`, else 0. */
  readonly payableYen: number;
}

export interface CompanyTotal {
  readonly company: string;
  readonly rides: number;
  readonly paidRides: number;
  readonly payableYen: number;
  readonly flaggedRides: number;
  /** The subsidies of the flagged rides (voided ones excluded): for the city to look at. */
  readonly flaggedYen: number;
}

export interface Settlement {
  /** Days (Japan time) the settlement covers, inclusive. */
  readonly fromDay: number;
  readonly toDay: number;
  readonly companies: readonly CompanyTotal[];
  /** Rides of the period in (company, time) order. */
  readonly rides: readonly SettledRide[];
}

function byHolderThenTime(a: SettleRide, b: SettleRide): number {
  if (a.userId !== b.userId) return a.userId < b.userId ? -1 : 1;
  if (a.atMs !== b.atMs) return a.atMs - b.atMs;
  if (a.terminalId !== b.terminalId) return a.terminalId < b.terminalId ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * Settles the rides of days `fromDay`…`toDay`. Pass every ride from the start of
 * the counted year of `fromDay` on: the year's earlier rides count toward the
 * yearly limit, though only the period's are reported.
 */
export function settle(
  rides: readonly SettleRide[],
  fromDay: number,
  toDay: number,
  rules: TaxiRules,
): Settlement {
  // Per holder, then each holder's few rides in time order: no sort of the whole year.
  const byHolder = new Map<string, SettleRide[]>();
  for (const r of rides) {
    const list = byHolder.get(r.userId);
    if (list) list.push(r);
    else byHolder.set(r.userId, [r]);
  }
  const out: SettledRide[] = [];
  for (const list of byHolder.values()) {
    list.sort(byHolderThenTime);
    let day = -1;
    let dayRides = 0;
    let year = -1;
    let yearRides = 0;
    for (const ride of list) {
      const d = jstDayOfMs(ride.atMs);
      if (d > toDay) break;
      if (d !== day) {
        day = d;
        dayRides = 0;
        const y = countedYear(d, rules);
        if (y !== year) [year, yearRides] = [y, 0];
      }
      let flag: RideFlag;
      if (ride.voided) flag = 'voided';
      else if (!ride.boardInCity && !ride.alightInCity) flag = 'outside_city';
      else if (!ride.registered) flag = 'unregistered';
      else if (yearRides >= rules.yearlyLimit) flag = 'over_yearly';
      else if (dayRides >= rules.dailyLimit) flag = 'over_daily';
      else {
        flag = 'ok';
        dayRides++;
        yearRides++;
      }
      if (d >= fromDay) out.push({ ride, flag, payableYen: flag === 'ok' ? ride.subsidyYen : 0 });
    }
  }
  // Per company, in time order: grouped first, so each sort compares numbers only.
  const byCompany = new Map<string, SettledRide[]>();
  for (const r of out) {
    const list = byCompany.get(r.ride.company);
    if (list) list.push(r);
    else byCompany.set(r.ride.company, [r]);
  }
  const ordered: SettledRide[] = [];
  for (const company of [...byCompany.keys()].sort()) {
    const list = byCompany.get(company)!;
    list.sort((a, b) => a.ride.atMs - b.ride.atMs || byHolderThenTime(a.ride, b.ride));
    for (const r of list) ordered.push(r);
  }
  const totals = new Map<string, { -readonly [K in keyof CompanyTotal]: CompanyTotal[K] }>();
  for (const s of ordered) {
    let t = totals.get(s.ride.company);
    if (!t) {
      t = {
        company: s.ride.company,
        rides: 0,
        paidRides: 0,
        payableYen: 0,
        flaggedRides: 0,
        flaggedYen: 0,
      };
      totals.set(s.ride.company, t);
    }
    t.rides++;
    if (s.flag === 'ok') {
      t.paidRides++;
      t.payableYen += s.payableYen;
    } else if (s.flag !== 'voided') {
      t.flaggedRides++;
      t.flaggedYen += s.ride.subsidyYen;
    }
  }
  return { fromDay, toDay, companies: [...totals.values()], rides: ordered };
}

/** A CSV field: quoted when it must be, a leading =+-@ defused (a spreadsheet would run it). */
function field(v: string | number | boolean): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: readonly (string | number | boolean)[]) => cells.map(field).join(',') + '\r\n';

export const SUMMARY_HEADER = [
  'company',
  'from',
  'to',
  'rides',
  'paid_rides',
  'payable_yen',
  'flagged_rides',
  'flagged_yen',
] as const;

export const DETAIL_HEADER = [
  'company',
  'terminal_id',
  'seq',
  'user_id',
  'day',
  'at',
  'fare_yen',
  'subsidy_yen',
  'board_in_city',
  'alight_in_city',
  'flag',
  'payable_yen',
] as const;

/** The totals per company (精算書): UTF-8 without BOM, CRLF, one line per company. */
export function summaryCsv(s: Settlement): string {
  let out = line(SUMMARY_HEADER);
  for (const c of s.companies)
    out += line([
      c.company,
      dayString(s.fromDay),
      dayString(s.toDay),
      c.rides,
      c.paidRides,
      c.payableYen,
      c.flaggedRides,
      c.flaggedYen,
    ]);
  return out;
}

/** Every ride of the period with its flag (利用明細): what a company checks its claim against. */
export function* detailCsv(s: Settlement): Generator<string> {
  yield line(DETAIL_HEADER);
  for (const { ride: r, flag, payableYen } of s.rides)
    yield line([
      r.company,
      r.terminalId,
      r.seq,
      r.userId,
      dayString(jstDayOfMs(r.atMs)),
      new Date(r.atMs).toISOString(),
      r.fareYen,
      r.subsidyYen,
      r.boardInCity,
      r.alightInCity,
      flag,
      payableYen,
    ]);
}
