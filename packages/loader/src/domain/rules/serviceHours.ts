/**
 * Service hours (サービス提供時間, seeds/002 V): 8:00–22:00 Asia/Tokyo, closed
 * 12/29–1/3. Loading outside them needs an administrator's override (logged).
 * Japan has no daylight saving time, so Tokyo time is UTC+9 exactly.
 */
import { LoaderError } from '../../errors.ts';

export interface ServiceHours {
  /** Minutes after local midnight: opening (inclusive) and closing (exclusive). */
  readonly openMinute: number;
  readonly closeMinute: number;
  /** Closed periods as [MM-DD, MM-DD] inclusive; may wrap the year end. */
  readonly closed: readonly (readonly [string, string])[];
  /** Offset of local time from UTC in minutes (Asia/Tokyo: 540). */
  readonly utcOffsetMinutes: number;
}

export const DEFAULT_SERVICE_HOURS: ServiceHours = {
  openMinute: 8 * 60,
  closeMinute: 22 * 60,
  closed: [['12-29', '01-03']],
  utcOffsetMinutes: 9 * 60,
};

export type HoursDecision =
  | { readonly open: true; readonly overridden: boolean }
  | { readonly open: false; readonly reason: 'closed_day' | 'outside_hours' };

function localParts(now: Date, offset: number): { md: string; minute: number } {
  const t = new Date(now.getTime() + offset * 60_000);
  const md = `${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
  return { md, minute: t.getUTCHours() * 60 + t.getUTCMinutes() };
}

function inPeriod(md: string, [from, to]: readonly [string, string]): boolean {
  return from <= to ? md >= from && md <= to : md >= from || md <= to;
}

/** The closed period (local dates) that `now` falls in, if any. */
export function closedPeriodAt(
  now: Date,
  hours: ServiceHours = DEFAULT_SERVICE_HOURS,
): readonly [string, string] | undefined {
  const { md } = localParts(now, hours.utcOffsetMinutes);
  return hours.closed.find((p) => inPeriod(md, p));
}

export function serviceHoursAt(
  now: Date,
  hours: ServiceHours = DEFAULT_SERVICE_HOURS,
): HoursDecision {
  if (closedPeriodAt(now, hours)) return { open: false, reason: 'closed_day' };
  const { minute } = localParts(now, hours.utcOffsetMinutes);
  if (minute < hours.openMinute || minute >= hours.closeMinute)
    return { open: false, reason: 'outside_hours' };
  return { open: true, overridden: false };
}

/**
 * The decision for a card operation: open, open by override (the caller must be
 * allowed `hours.override` and must log it), or an error saying why not.
 */
export function checkServiceHours(
  now: Date,
  override: boolean,
  hours: ServiceHours = DEFAULT_SERVICE_HOURS,
): HoursDecision & { open: true } {
  const d = serviceHoursAt(now, hours);
  if (d.open) return d;
  if (override) return { open: true, overridden: true };
  const hhmm = (m: number) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
  // '12-29' → '12/29', '01-03' → '1/3': the closed period the operator configured.
  const day = (md: string) => `${Number(md.slice(0, 2))}/${Number(md.slice(3))}`;
  const period = closedPeriodAt(now, hours);
  throw new LoaderError(
    'OUTSIDE_SERVICE_HOURS',
    period
      ? {
          en: `loading is closed ${day(period[0])}–${day(period[1])}; an administrator may override`,
          ja: `${day(period[0])}〜${day(period[1])}はサービス提供時間外です（管理者は時間外操作が可能です）`,
        }
      : {
          en: `loading is open ${hhmm(hours.openMinute)}–${hhmm(hours.closeMinute)} (Japan time); an administrator may override`,
          ja: `サービス提供時間（${hhmm(hours.openMinute)}〜${hhmm(hours.closeMinute)}）外です（管理者は時間外操作が可能です）`,
        },
    409,
    { reason: d.reason },
  );
}

/** Parses "H:MM" or "HH:MM" into minutes after midnight (24:00 allowed as a close). */
export function parseClock(s: string): number | undefined {
  const m = /^([0-9]{1,2}):([0-5][0-9])$/.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v <= 24 * 60 ? v : undefined;
}
