/**
 * The per-day chart's small helpers: the Japan-time day of an instant (the audit
 * screen groups by it too) and a round top for the axis. The counts themselves come
 * from the server (GET /v1/console/stats/daily counts them in SQL).
 */
// Japan keeps no summer time: its day is UTC + 9 hours all year.
const JST_MS = 9 * 3600_000;

/** The Japan-time calendar day of an instant, YYYY-MM-DD. */
export function jstDay(at: string | number | Date): string {
  return new Date(new Date(at).getTime() + JST_MS).toISOString().slice(0, 10);
}

/** A round top for the chart's axis: 1, 2, 5, 10, 20, 50… at or above `n` (at least 1). */
export function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}
