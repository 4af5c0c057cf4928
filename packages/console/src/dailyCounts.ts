/**
 * Loads and refusals per day (Japan time), counted from the audit log: a load is
 * the card's confirmed INSTALL (`instance.installed`), a refusal is a load the
 * rules or the card refused (`load.refused`, `instance.install_refused`). Pure:
 * the chart and its tests share it.
 */
import type { AuditRow } from './types.ts';

export interface DayCount {
  /** YYYY-MM-DD, Japan time. */
  readonly day: string;
  readonly loads: number;
  readonly refusals: number;
}

const JST_MS = 9 * 3600_000;
const DAY_MS = 24 * 3600_000;

/** The Japan-time calendar day of an instant, YYYY-MM-DD. */
export function jstDay(at: string | number | Date): string {
  return new Date(new Date(at).getTime() + JST_MS).toISOString().slice(0, 10);
}

const LOAD = new Set(['instance.installed']);
const REFUSAL = new Set(['load.refused', 'instance.install_refused']);

/** The `days` days up to and including `today`'s (Japan time), oldest first, zeros kept. */
export function dailyCounts(rows: readonly AuditRow[], today: Date, days: number): DayCount[] {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a positive integer: ${days}`);
  const last = jstDay(today);
  const lastMidnight = Date.parse(`${last}T00:00:00Z`);
  const out = new Map<string, { loads: number; refusals: number }>();
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(lastMidnight - i * DAY_MS).toISOString().slice(0, 10);
    out.set(day, { loads: 0, refusals: 0 });
  }
  for (const r of rows) {
    const c = out.get(jstDay(r.at));
    if (!c) continue;
    if (LOAD.has(r.action)) c.loads++;
    else if (REFUSAL.has(r.action)) c.refusals++;
  }
  return [...out].map(([day, c]) => ({ day, ...c }));
}

/** A round top for the chart's axis: 1, 2, 5, 10, 20, 50… at or above `n` (at least 1). */
export function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}
