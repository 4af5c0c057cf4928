/**
 * The library's lending rules (貸出規則) as small pure functions: how many books a
 * holder may have at once, for how many days, whether overdue books stop a new
 * loan, and the days they are counted in (Japan time). No I/O: the store and the
 * counter call these.
 */
import { LibraryError } from './errors.ts';

export interface LibraryRules {
  /** Books a holder may have on loan at once (貸出冊数). */
  readonly maxLoans: number;
  /** Days a loan lasts: due at the end of the day `loanDays` after the day lent (貸出期間). */
  readonly loanDays: number;
  /** Whether a holder with an overdue book may borrow more (most libraries: no). */
  readonly lendWhileOverdue: boolean;
}

/** 10 books for 14 days, the common rule of Japanese public libraries. */
export const DEFAULT_RULES: LibraryRules = Object.freeze({
  maxLoans: 10,
  loanDays: 14,
  lendWhileOverdue: false,
});

const isWhole = (n: unknown, min: number, max: number): n is number =>
  Number.isInteger(n) && (n as number) >= min && (n as number) <= max;

/** Rules checked whole, so that a typo in a setting stops the server instead of lending forever. */
export function libraryRules(
  input: Partial<Record<keyof LibraryRules, unknown>> = {},
): LibraryRules {
  const r = { ...DEFAULT_RULES, ...input };
  const bad = (en: string, ja: string) =>
    new LibraryError('RULES_INVALID', {
      en: `library rules: ${en}`,
      ja: `図書館の設定が正しくありません: ${ja}`,
    });
  if (!isWhole(r.maxLoans, 1, 1000))
    throw bad('maxLoans is a whole number 1–1000', '貸出冊数の上限は1〜1000の整数です');
  if (!isWhole(r.loanDays, 1, 365))
    throw bad('loanDays is a whole number 1–365', '貸出期間は1〜365日の整数です');
  if (typeof r.lendWhileOverdue !== 'boolean')
    throw bad('lendWhileOverdue is true or false', '延滞中の貸出可否は true か false です');
  return Object.freeze(r as LibraryRules);
}

// --- days, Japan time ---

const JST_MS = 9 * 3600_000;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 in Japan time: the day a book is lent or due on. */
export function jstDayNumber(at: Date): number {
  const t = at.getTime();
  if (!Number.isFinite(t))
    throw new LibraryError('BAD_REQUEST', { en: 'not a date', ja: '日時が正しくありません' });
  return Math.floor((t + JST_MS) / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

// --- lending ---

/** The last day of a loan made on `lentDay` (returned on that day is on time). */
export function dueDay(lentDay: number, rules: Pick<LibraryRules, 'loanDays'>): number {
  return lentDay + rules.loanDays;
}

/** Days past the due day on `today` (0: not overdue). */
export function overdueDays(due: number, today: number): number {
  return Math.max(0, today - due);
}

export type LendDecision =
  | { readonly ok: true; readonly dueDay: number }
  | { readonly ok: false; readonly reason: 'LOAN_LIMIT' | 'OVERDUE_HELD'; readonly may: number };

/**
 * Whether a holder who has `held` books (their due days) may borrow `wanted` more
 * on `today`. `may` says how many more they could borrow (for the counter's screen).
 */
export function decideLend(
  held: readonly number[],
  wanted: number,
  today: number,
  rules: LibraryRules,
): LendDecision {
  const may = Math.max(0, rules.maxLoans - held.length);
  if (!rules.lendWhileOverdue && held.some((due) => overdueDays(due, today) > 0))
    return { ok: false, reason: 'OVERDUE_HELD', may: 0 };
  if (wanted > may) return { ok: false, reason: 'LOAN_LIMIT', may };
  return { ok: true, dueDay: dueDay(today, rules) };
}
