/**
 * Settings kept in the database, so every server over one database agrees:
 * the service hours (サービス提供時間). The platform changes them; the change is audited.
 */
import { serviceHoursBody, type ServiceHoursBody } from '../contract/schemas.ts';
import { LoaderError } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import type { Queryable } from '@myna-ap/db';
import { parseClock, type ServiceHours } from '../domain/rules/serviceHours.ts';
import { authorize, type Ctx, type Session } from './context.ts';

export { serviceHoursBody, type ServiceHoursBody };

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export function serviceHoursView(h: ServiceHours): ServiceHoursBody {
  return {
    open: hhmm(h.openMinute),
    close: hhmm(h.closeMinute),
    closed: h.closed.map(([a, b]) => [a, b] as [string, string]),
  };
}

export function serviceHoursFromBody(b: ServiceHoursBody, utcOffsetMinutes: number): ServiceHours {
  const open = parseClock(b.open);
  const close = parseClock(b.close);
  if (open === undefined || close === undefined || open >= close) {
    throw new LoaderError('SERVICE_HOURS_INVALID', {
      en: 'open and close are H:MM with open before close (e.g. 8:00 and 22:00)',
      ja: '開始・終了は H:MM 形式で、開始を終了より前にしてください（例 8:00 と 22:00）',
    });
  }
  return { openMinute: open, closeMinute: close, closed: b.closed, utcOffsetMinutes };
}

/** The hours in force: the settings row, or the configured default. */
export async function currentServiceHours(
  q: Queryable,
  fallback: ServiceHours,
): Promise<ServiceHours> {
  const r = await q.query<{ value: unknown }>(
    "SELECT value FROM settings WHERE key = 'service_hours'",
  );
  const parsed = serviceHoursBody.safeParse(r.rows[0]?.value);
  if (!parsed.success) return fallback;
  try {
    return serviceHoursFromBody(parsed.data, fallback.utcOffsetMinutes);
  } catch {
    return fallback;
  }
}

export async function setServiceHours(
  ctx: Ctx,
  s: Session,
  b: ServiceHoursBody,
): Promise<ServiceHours> {
  authorize(s, 'provider.create'); // a platform-wide setting
  const h = serviceHoursFromBody(b, ctx.config.serviceHours.utcOffsetMinutes);
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query(
      `INSERT INTO settings (key, value) VALUES ('service_hours', $1::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [JSON.stringify(serviceHoursView(h))],
    );
    await appendAudit(
      tx,
      { actor: s.operatorId, action: 'settings.service_hours', detail: { ...serviceHoursView(h) } },
      ctx.now(),
    );
  });
  return h;
}

/**
 * Servers over one database must hold the same keys, or a card loaded by one
 * could not be served by another. The first server records the key check value;
 * a server whose keys differ refuses to start.
 */
export async function checkKeysAgainstDb(db: Queryable, checkValue: string): Promise<void> {
  await db.query(
    `INSERT INTO settings (key, value) VALUES ('key_check', $1::jsonb) ON CONFLICT (key) DO NOTHING`,
    [JSON.stringify(checkValue)],
  );
  const r = await db.query<{ value: unknown }>(
    "SELECT value FROM settings WHERE key = 'key_check'",
  );
  const recorded = r.rows[0]?.value;
  if (recorded !== checkValue) {
    throw new LoaderError('KEYS_MISMATCH', {
      en: `this server's keys (check value ${checkValue}) are not the keys this database was used with (${String(recorded)}): use the same key file on every server`,
      ja: `このサーバの鍵（検査値 ${checkValue}）は、このデータベースで使われている鍵（${String(recorded)}）と異なります。全サーバで同じ鍵ファイルを使ってください`,
    });
  }
}
