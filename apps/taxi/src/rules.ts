/**
 * The rules of マイタク (Maebashi's taxi fare subsidy, seeds/003 p.「公共交通（タクシー）での
 * 活用事例」, seeds/004 「マイタク利用のフロー」) as small pure functions: the days and
 * years rides are counted in, the limits (2 rides a day, 70 a year: 利用回数は2回/日
 * (70回/年)まで), the city condition (乗車地か降車地のいずれかが市内), the subsidy of a
 * fare, and the ride counter kept on the card. No I/O: the terminal and the city's
 * settlement call these.
 */
import { TaxiError } from './errors.ts';

/** What the city configures. The seeds give the limits; the subsidy's size they do not. */
export interface TaxiRules {
  /** Rides a holder may take in one day (Japan time). */
  readonly dailyLimit: number;
  /** Rides a holder may take in one year (年度 from `yearStartMonth`). */
  readonly yearlyLimit: number;
  /** Share of the fare the city pays, in percent. Not in the seeds: the city sets it. */
  readonly subsidyPercent: number;
  /** At most this much per ride, in yen (0: no cap). Not in the seeds either. */
  readonly subsidyCapYen: number;
  /** The month the counted year starts in: 4 for the fiscal year (年度), 1 for the calendar year. */
  readonly yearStartMonth: number;
}

/** The seeds' limits; the subsidy (half the fare, at most ¥1,000) is our placeholder. */
export const DEFAULT_RULES: TaxiRules = Object.freeze({
  dailyLimit: 2,
  yearlyLimit: 70,
  subsidyPercent: 50,
  subsidyCapYen: 1000,
  yearStartMonth: 4,
});

const isCount = (n: unknown, max: number): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= max;

/** Rules checked whole: a typo in a setting must not become a free ride. */
export function taxiRules(input: Partial<Record<keyof TaxiRules, unknown>> = {}): TaxiRules {
  const r = { ...DEFAULT_RULES, ...input };
  const bad = (what: string, ja: string) =>
    new TaxiError('RULES_INVALID', {
      en: `taxi rules: ${what}`,
      ja: `マイタクの設定が正しくありません: ${ja}`,
    });
  // The card keeps a day's rides in one byte and a year's in two.
  if (!isCount(r.dailyLimit, 255) || r.dailyLimit < 1)
    throw bad('dailyLimit is a whole number 1–255', '1日の上限は1〜255の整数です');
  if (!isCount(r.yearlyLimit, 65535) || r.yearlyLimit < r.dailyLimit)
    throw bad(
      'yearlyLimit is a whole number from dailyLimit to 65535',
      '年間の上限は1日の上限以上65535以下の整数です',
    );
  if (!isCount(r.subsidyPercent, 100))
    throw bad('subsidyPercent is a whole number 0–100', '補助率は0〜100の整数（%）です');
  if (!isCount(r.subsidyCapYen, 1_000_000))
    throw bad('subsidyCapYen is a whole number of yen (0: none)', '補助上限額は円の整数です');
  if (!isCount(r.yearStartMonth, 12) || r.yearStartMonth < 1)
    throw bad('yearStartMonth is 1–12', '年度の開始月は1〜12です');
  return Object.freeze(r as TaxiRules);
}

// --- days and years, Japan time ---

const JST_MS = 9 * 3600_000;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 in Japan time: the day a ride is counted in. */
export function jstDayNumber(at: Date): number {
  const t = at.getTime();
  if (!Number.isFinite(t))
    throw new TaxiError('RIDE_INVALID', { en: 'not a date', ja: '日時が正しくありません' });
  return Math.floor((t + JST_MS) / DAY_MS);
}

/** The same from milliseconds since the epoch (settlement counts millions: no Date each). */
export function jstDayOfMs(ms: number): number {
  return Math.floor((ms + JST_MS) / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of `YYYY-MM-DD`, or undefined when it is not one. */
export function parseDay(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
  const t = Date.parse(`${s}T00:00:00Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== s) return undefined;
  return t / DAY_MS;
}

/** The counted year a day belongs to (年度 2026 runs 2026-04-01 … 2027-03-31 with month 4). */
export function countedYear(day: number, rules: Pick<TaxiRules, 'yearStartMonth'>): number {
  const d = new Date(day * DAY_MS);
  const y = d.getUTCFullYear();
  return d.getUTCMonth() + 1 >= rules.yearStartMonth ? y : y - 1;
}

// --- the counter on the card ---

/**
 * What the type D card AP holds after the user ID: the last day a ride was counted,
 * the rides of that day, the counted year and its rides. The terminal checks the
 * limits against it offline, and writes the next one in a single UPDATE BINARY.
 */
export interface RideCounter {
  readonly year: number;
  readonly yearRides: number;
  readonly day: number;
  readonly dayRides: number;
}

/** Where the counter sits in the card AP (bytes 0–12 are the user ID). */
export const COUNTER_OFFSET = 13;
/** Layout: version 01, year (2 bytes), year's rides (2), day number (2), day's rides (1). */
export const COUNTER_LENGTH = 8;
const COUNTER_VERSION = 1;

/** A card never ridden: the loading system wrote zeros after the user ID. */
export const NO_RIDES: RideCounter = Object.freeze({ year: 0, yearRides: 0, day: 0, dayRides: 0 });

/** The counter in the bytes after the user ID (all zeros: none yet). */
export function decodeCounter(data: Uint8Array): RideCounter {
  const b = data.subarray(0, COUNTER_LENGTH);
  if (b.length < COUNTER_LENGTH)
    throw new TaxiError('CARD_COUNTER_INVALID', {
      en: `the card AP holds ${b.length} bytes after the user ID; the ride counter needs ${COUNTER_LENGTH}`,
      ja: 'カードAPの利用回数の領域が足りません',
    });
  if (b.every((x) => x === 0)) return NO_RIDES;
  if (b[0] !== COUNTER_VERSION)
    throw new TaxiError('CARD_COUNTER_INVALID', {
      en: `the card's ride counter has layout ${b[0]}, this terminal knows ${COUNTER_VERSION}`,
      ja: 'カードの利用回数の形式がこの端末と合いません',
    });
  const u16 = (i: number) => (b[i]! << 8) | b[i + 1]!;
  return { year: u16(1), yearRides: u16(3), day: u16(5), dayRides: b[7]! };
}

export function encodeCounter(c: RideCounter): Uint8Array {
  if (!isCount(c.year, 65535) || !isCount(c.yearRides, 65535) || !isCount(c.day, 65535))
    throw new TaxiError('CARD_COUNTER_INVALID', {
      en: 'a ride counter field is out of range',
      ja: '利用回数の値が範囲外です',
    });
  if (!isCount(c.dayRides, 255))
    throw new TaxiError('CARD_COUNTER_INVALID', {
      en: 'the day’s rides are out of range',
      ja: '1日の利用回数が範囲外です',
    });
  return Uint8Array.of(
    COUNTER_VERSION,
    c.year >> 8,
    c.year & 0xff,
    c.yearRides >> 8,
    c.yearRides & 0xff,
    c.day >> 8,
    c.day & 0xff,
    c.dayRides,
  );
}

// --- one ride at the terminal ---

/** Where the ride went: one end inside the city is enough (乗車地か降車地のいずれかが市内). */
export interface Trip {
  readonly boardInCity: boolean;
  readonly alightInCity: boolean;
}

export type Refusal = 'OUTSIDE_CITY' | 'DAILY_LIMIT' | 'YEARLY_LIMIT';

export type RideDecision =
  | { readonly ok: true; readonly next: RideCounter }
  | { readonly ok: false; readonly reason: Refusal };

/**
 * May this card ride now, and what does its counter become? `today` is the
 * terminal's day. A card that has seen a later day (another terminal's clock ahead,
 * or ours behind) is counted on the card's day: a clock running late never resets a
 * counter and gives rides back.
 */
export function decideRide(
  counter: RideCounter,
  today: number,
  trip: Trip,
  rules: TaxiRules,
): RideDecision {
  if (!trip.boardInCity && !trip.alightInCity) return { ok: false, reason: 'OUTSIDE_CITY' };
  const day = Math.max(today, counter.day);
  const year = countedYear(day, rules);
  const dayRides = day === counter.day ? counter.dayRides : 0;
  const yearRides = year === counter.year ? counter.yearRides : 0;
  if (yearRides >= rules.yearlyLimit) return { ok: false, reason: 'YEARLY_LIMIT' };
  if (dayRides >= rules.dailyLimit) return { ok: false, reason: 'DAILY_LIMIT' };
  return { ok: true, next: { year, yearRides: yearRides + 1, day, dayRides: dayRides + 1 } };
}

/** The city's part of a fare and the passenger's, in whole yen (the city's rounded down). */
export function subsidyOf(
  fareYen: number,
  rules: Pick<TaxiRules, 'subsidyPercent' | 'subsidyCapYen'>,
): { readonly subsidyYen: number; readonly passengerYen: number } {
  if (!Number.isInteger(fareYen) || fareYen <= 0 || fareYen > 1_000_000)
    throw new TaxiError('RIDE_INVALID', {
      en: `the fare is a whole number of yen from 1 to 1,000,000 (got ${String(fareYen)})`,
      ja: '運賃は1〜1,000,000円の整数です',
    });
  const share = Math.floor((fareYen * rules.subsidyPercent) / 100);
  const subsidyYen = rules.subsidyCapYen > 0 ? Math.min(share, rules.subsidyCapYen) : share;
  return { subsidyYen, passengerYen: fareYen - subsidyYen };
}
