/**
 * Who may open which door when (入室権限), as small pure functions: a permission is
 * one door, the days of the week and a window of Japan time; a window whose end is
 * before its start runs past midnight (a night shift) and belongs to the day it
 * starts. A secure room (セキュリティ区画) opens only when the card AP PIN was
 * verified by the card at the door. No I/O: the store and the server call these.
 */
import { StaffError, type StaffErrorCode } from './errors.ts';

/** 区分: a touch opens a low-risk room; a secure room needs the card AP PIN too. */
export type DoorLevel = 'low' | 'secure';

export interface Permission {
  readonly doorId: string;
  /** Days of the week it starts on, 0 = Sunday … 6 = Saturday (Japan time). */
  readonly days: readonly number[];
  /** Minutes after midnight, Japan time: from (inclusive) to (exclusive). */
  readonly from: number;
  readonly to: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "08:30" → 510, or undefined. "24:00" is the end of the day. */
export function minutesOf(s: unknown): number | undefined {
  if (s === '24:00') return 24 * 60;
  const m = typeof s === 'string' ? HHMM.exec(s.trim()) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** A permission checked whole from a form or JSON, or RULE_INVALID. */
export function permissionFrom(input: {
  doorId?: unknown;
  days?: unknown;
  from?: unknown;
  to?: unknown;
}): Permission {
  const doorId = typeof input.doorId === 'string' ? input.doorId.trim() : '';
  const rawDays =
    typeof input.days === 'string'
      ? input.days
          .split(/[\s,、]+/)
          .filter((s) => s !== '')
          .map(Number)
      : input.days;
  const from = minutesOf(input.from);
  const to = minutesOf(input.to);
  const days = Array.isArray(rawDays) ? [...new Set(rawDays as unknown[])] : [];
  if (
    !/^[A-Za-z0-9-]{1,32}$/.test(doorId) ||
    days.length === 0 ||
    !days.every((d) => Number.isInteger(d) && (d as number) >= 0 && (d as number) <= 6) ||
    from === undefined ||
    to === undefined ||
    from === to ||
    from === 24 * 60
  )
    throw new StaffError('RULE_INVALID');
  return { doorId, days: (days as number[]).sort((a, b) => a - b), from, to };
}

/** Japan time (UTC+9, no summer time): the day of the week and the minute of the day. */
export function jstClock(at: Date): { weekday: number; minute: number } {
  const t = new Date(at.getTime() + 9 * 3600_000);
  return { weekday: t.getUTCDay(), minute: t.getUTCHours() * 60 + t.getUTCMinutes() };
}

/** Whether `p` covers the moment `at`. */
export function permits(p: Permission, at: Date): boolean {
  const { weekday, minute } = jstClock(at);
  if (p.from < p.to) return p.days.includes(weekday) && minute >= p.from && minute < p.to;
  // Past midnight: the evening of a permitted day, or the early hours after one.
  return (
    (p.days.includes(weekday) && minute >= p.from) ||
    (p.days.includes((weekday + 6) % 7) && minute < p.to)
  );
}

export type EntryDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: Extract<StaffErrorCode, 'NO_PERMISSION' | 'OUTSIDE_HOURS' | 'PIN_NEEDED'>;
    };

/**
 * 入室判定: the staff member's permissions for this door at `at`, and for a secure
 * room the PIN verified at the door. The card's status (lost, revoked) is checked
 * before this, by the store.
 */
export function decideEntry(
  door: { readonly doorId: string; readonly level: DoorLevel },
  permissions: readonly Permission[],
  at: Date,
  pinVerified: boolean,
): EntryDecision {
  const mine = permissions.filter((p) => p.doorId === door.doorId);
  if (mine.length === 0) return { ok: false, reason: 'NO_PERMISSION' };
  if (!mine.some((p) => permits(p, at))) return { ok: false, reason: 'OUTSIDE_HOURS' };
  if (door.level === 'secure' && !pinVerified) return { ok: false, reason: 'PIN_NEEDED' };
  return { ok: true };
}

const DAY_JA = ['日', '月', '火', '水', '木', '金', '土'];

/** "月火水木金 08:30–18:00" for the admin page. */
export function describePermission(p: Permission): string {
  return `${p.days.map((d) => DAY_JA[d]).join('')} ${hhmm(p.from)}–${hhmm(p.to)}`;
}
