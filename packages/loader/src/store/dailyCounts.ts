/**
 * Loads and refusals per Japan-time day (日別の搭載・拒否件数), counted by the
 * database from the audit log: a load is the card's confirmed INSTALL
 * (`instance.installed`), a refusal a load the rules or the card refused
 * (`load.refused`, `instance.install_refused`). The rows counted are those GET
 * /v1/audit shows the operator: its own provider's, every provider's for the platform.
 */
import { authorize, type Ctx, type Session } from './context.ts';

export interface DayCount {
  /** YYYY-MM-DD, Japan time. */
  readonly day: string;
  readonly loads: number;
  readonly refusals: number;
}

const LOADS = ['instance.installed'];
const REFUSALS = ['load.refused', 'instance.install_refused'];
// Japan keeps no summer time: its day is UTC + 9 hours all year.
const JST_MS = 9 * 3600_000;
const DAY_MS = 24 * 3600_000;

/** The Japan-time calendar day of an instant, YYYY-MM-DD. */
export function jstDay(at: Date): string {
  return new Date(at.getTime() + JST_MS).toISOString().slice(0, 10);
}

/** The `days` days up to and including `today`'s, oldest first. */
export function dayWindow(today: Date, days: number): string[] {
  const last = Date.parse(`${jstDay(today)}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) =>
    new Date(last - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

export async function dailyLoadCounts(ctx: Ctx, s: Session, days: number): Promise<DayCount[]> {
  const everyone = s.role === 'platform';
  authorize(s, 'audit.read', everyone ? {} : { providerId: s.providerId });
  const window = dayWindow(ctx.now(), days);
  const from = new Date(`${window[0]}T00:00:00+09:00`);
  const params: unknown[] = [from, LOADS, REFUSALS];
  if (!everyone) params.push(s.providerId ?? '');
  const r = await ctx.db.query<{ day: string; loads: number; refusals: number }>(
    `SELECT to_char((at AT TIME ZONE 'UTC') + interval '9 hours', 'YYYY-MM-DD') AS day,
            count(*) FILTER (WHERE action = ANY($2::text[]))::int AS loads,
            count(*) FILTER (WHERE action = ANY($3::text[]))::int AS refusals
       FROM audit_log
      WHERE at >= $1 AND (action = ANY($2::text[]) OR action = ANY($3::text[]))
        ${everyone ? '' : `AND detail->>'providerId' = $4`}
      GROUP BY 1`,
    params,
  );
  const counted = new Map(r.rows.map((x) => [x.day, x]));
  return window.map((day) => ({
    day,
    loads: Number(counted.get(day)?.loads ?? 0),
    refusals: Number(counted.get(day)?.refusals ?? 0),
  }));
}
