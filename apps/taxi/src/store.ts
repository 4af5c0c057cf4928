/**
 * The city's マイタク database (migrations/, owner `taxi`): the register of holders,
 * the terminals and their keys, every ride record once, and the status feed as far
 * as it concerns the taxi card AP. SQL here, the rules in rules.ts / settlement.ts.
 */
import { fileURLToPath } from 'node:url';
import type { Db, MigrationSet, Queryable } from '@myna-ap/db';
import type { FeedEntryLike } from '@myna-ap/access';
import { TaxiError } from './errors.ts';
import { canonical, terminalPublicKey, verifyRecord, type SignedRecord } from './ride.ts';
import { countedYear, type TaxiRules } from './rules.ts';
import type { SettleRide } from './settlement.ts';

export const taxiMigrations: MigrationSet = {
  owner: 'taxi',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};

/** A terminal clock this far off is corrected; closer is taken as it is (ms). */
export const SKEW_TOLERANCE_MS = 2 * 60_000;

/** The time a ride is settled at: the terminal's, moved by the skew its sync showed. */
export function correctedAt(atTerminalMs: number, skewMs: number): number {
  return Math.abs(skewMs) > SKEW_TOLERANCE_MS ? atTerminalMs + skewMs : atTerminalMs;
}

const USER_ID = /^[0-9A-F]{26}$/;

export function userIdFrom(input: unknown): string {
  const s = typeof input === 'string' ? input.trim().toUpperCase() : '';
  if (!USER_ID.test(s)) throw new TaxiError('HOLDER_INVALID');
  return s;
}

/** 利用登録: the holder's user ID, read from the card AP the counter just loaded. */
export async function registerHolder(db: Queryable, userId: string): Promise<boolean> {
  const r = await db.query(
    'INSERT INTO taxi_holders (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING',
    [userIdFrom(userId)],
  );
  return r.rowCount === 1;
}

const TERMINAL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export async function registerTerminal(
  db: Queryable,
  t: { terminalId: unknown; company: unknown; publicKey: unknown },
): Promise<void> {
  if (typeof t.terminalId !== 'string' || !TERMINAL_ID.test(t.terminalId))
    throw new TaxiError('BAD_REQUEST', {
      en: 'terminalId is 1–64 letters, digits, _ . -',
      ja: '端末IDは英数字と _ . - の1〜64文字です',
    });
  if (typeof t.company !== 'string' || !TERMINAL_ID.test(t.company))
    throw new TaxiError('BAD_REQUEST', {
      en: 'company is 1–64 letters, digits, _ . -',
      ja: '事業者IDは英数字と _ . - の1〜64文字です',
    });
  const pem = terminalPublicKey(t.publicKey).export({ type: 'spki', format: 'pem' }).toString();
  const r = await db.query(
    `INSERT INTO taxi_terminals (terminal_id, company, public_key) VALUES ($1, $2, $3)
     ON CONFLICT (terminal_id) DO NOTHING`,
    [t.terminalId, t.company, pem],
  );
  if (r.rowCount === 0)
    throw new TaxiError('BAD_REQUEST', {
      en: `terminal ${t.terminalId} is already registered (a new key is a new terminal ID)`,
      ja: `端末 ${t.terminalId} は登録済みです（鍵を替えるときは新しい端末IDで登録します）`,
    });
}

/** The highest seq up to which the city holds every record of the terminal (0: none). */
export async function heldThrough(db: Queryable, terminalId: string): Promise<number> {
  const r = await db.query<{ through: number | null }>(
    `SELECT CASE WHEN EXISTS (SELECT 1 FROM taxi_records WHERE terminal_id = $1 AND seq = 1)
       THEN (SELECT min(a.seq) FROM taxi_records a
              WHERE a.terminal_id = $1 AND NOT EXISTS (
                SELECT 1 FROM taxi_records b WHERE b.terminal_id = $1 AND b.seq = a.seq + 1))
       ELSE 0 END AS through`,
    [terminalId],
  );
  return Number(r.rows[0]?.through ?? 0);
}

export async function terminalExists(db: Queryable, terminalId: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM taxi_terminals WHERE terminal_id = $1', [terminalId]);
  return r.rows.length > 0;
}

export interface PushResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly heldThrough: number;
  readonly skewMs: number;
}

/**
 * Takes a terminal's records: each signature checked with the terminal's key (one
 * bad record refuses the batch: nothing of it is taken, the terminal keeps all), each
 * (terminal, seq) kept once — the same record again is a duplicate, a different one
 * under a held seq is kept aside as a conflict. One transaction: a sync cut short
 * leaves the batch all in or all out.
 */
export async function pushRecords(
  db: Db,
  terminalId: string,
  terminalNow: string,
  records: readonly SignedRecord[],
  serverNow: Date,
): Promise<PushResult> {
  const tNow = Date.parse(terminalNow);
  if (!Number.isFinite(tNow))
    throw new TaxiError('BAD_REQUEST', {
      en: 'terminalNow is the terminal’s clock, ISO 8601',
      ja: 'terminalNow（端末の時刻）が正しくありません',
    });
  const skewMs = serverNow.getTime() - tNow;
  return db.transaction(async (tx) => {
    const t = await tx.query<{ public_key: string }>(
      'SELECT public_key FROM taxi_terminals WHERE terminal_id = $1',
      [terminalId],
    );
    const pem = t.rows[0]?.public_key;
    if (!pem) throw new TaxiError('TERMINAL_UNKNOWN');
    const key = terminalPublicKey(pem);
    for (const r of records) {
      if (r.body.terminalId !== terminalId || !verifyRecord(r, key))
        throw new TaxiError('SIGNATURE_INVALID', {
          en: `record seq ${r.body.seq}: the signature does not verify with terminal ${terminalId}'s key`,
          ja: `通番 ${r.body.seq} の乗車記録の署名が端末 ${terminalId} の鍵で検証できません`,
        });
    }
    let accepted = 0;
    let duplicates = 0;
    let conflicts = 0;
    for (const r of records) {
      const b = r.body;
      const atT = Date.parse(b.at);
      const ins = await tx.query(
        `INSERT INTO taxi_records (terminal_id, seq, kind, at_terminal, at, skew_ms, user_id,
           company, fare_yen, subsidy_yen, board_in_city, alight_in_city, voids, body, sig)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
         ON CONFLICT (terminal_id, seq) DO NOTHING`,
        [
          terminalId,
          b.seq,
          b.kind,
          new Date(atT).toISOString(),
          new Date(correctedAt(atT, skewMs)).toISOString(),
          skewMs,
          b.kind === 'ride' ? b.userId : null,
          b.kind === 'ride' ? b.company : null,
          b.kind === 'ride' ? b.fareYen : null,
          b.kind === 'ride' ? b.subsidyYen : null,
          b.kind === 'ride' ? b.boardInCity : null,
          b.kind === 'ride' ? b.alightInCity : null,
          b.kind === 'void' ? b.voids : null,
          canonical(b),
          r.sig,
        ],
      );
      if (ins.rowCount === 1) {
        accepted++;
        continue;
      }
      const had = await tx.query<{ body: string }>(
        'SELECT body FROM taxi_records WHERE terminal_id = $1 AND seq = $2',
        [terminalId, b.seq],
      );
      if (had.rows[0]?.body === canonical(b)) duplicates++;
      else {
        conflicts++;
        await tx.query(
          'INSERT INTO taxi_conflicts (terminal_id, seq, body, sig) VALUES ($1, $2, $3, $4)',
          [terminalId, b.seq, canonical(b), r.sig],
        );
      }
    }
    await tx.query(
      'UPDATE taxi_terminals SET last_skew_ms = $2, last_sync_at = $3 WHERE terminal_id = $1',
      [terminalId, skewMs, serverNow.toISOString()],
    );
    return {
      accepted,
      duplicates,
      conflicts,
      heldThrough: await heldThrough(tx, terminalId),
      skewMs,
    };
  });
}

// --- the status feed ---

/** Keeps the feed events that name the taxi card AP, and moves the cursor, in one transaction. */
export async function storeFeedPage(
  db: Db,
  aid: string,
  page: { events: readonly (FeedEntryLike & { at?: string })[]; next: number },
): Promise<number> {
  const want = aid.toUpperCase();
  return db.transaction(async (tx) => {
    let kept = 0;
    for (const e of page.events) {
      for (const ap of e.cardAps ?? []) {
        if (ap.aid.toUpperCase() !== want) continue;
        const r = await tx.query(
          `INSERT INTO taxi_status_events (seq, user_id, aid, status, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (seq, user_id) DO NOTHING`,
          [e.seq, ap.userId.toUpperCase(), want, e.status, e.at ?? ''],
        );
        kept += r.rowCount;
      }
    }
    await tx.query('UPDATE taxi_feed_cursor SET next = GREATEST(next, $1) WHERE id = 1', [
      page.next,
    ]);
    return kept;
  });
}

export async function feedCursor(db: Queryable): Promise<number> {
  const r = await db.query<{ next: number }>('SELECT next FROM taxi_feed_cursor WHERE id = 1');
  return Number(r.rows[0]?.next ?? 0);
}

/** What a terminal takes at its sync: status changes after the loader's seq `since`. */
export async function statusSince(
  db: Queryable,
  since: number,
  limit = 1000,
): Promise<{ events: FeedEntryLike[]; next: number }> {
  const r = await db.query<{ seq: number; user_id: string; aid: string; status: string }>(
    `WITH s AS (SELECT DISTINCT seq FROM taxi_status_events WHERE seq > $1 ORDER BY seq LIMIT $2)
     SELECT e.seq, e.user_id, e.aid, e.status FROM taxi_status_events e JOIN s USING (seq)
      ORDER BY e.seq, e.user_id`,
    [since, limit],
  );
  const events = new Map<
    number,
    { seq: number; status: string; cardAps: { aid: string; userId: string }[] }
  >();
  for (const row of r.rows) {
    const seq = Number(row.seq);
    let e = events.get(seq);
    if (!e) events.set(seq, (e = { seq, status: row.status, cardAps: [] }));
    e.cardAps.push({ aid: row.aid, userId: row.user_id });
  }
  const list = [...events.values()] as FeedEntryLike[];
  return { events: list, next: list.at(-1)?.seq ?? since };
}

// --- settlement ---

/** Every ride from the start of the counted year of `fromDay` to the end of `toDay`, ready to settle. */
export async function ridesToSettle(
  db: Queryable,
  fromDay: number,
  toDay: number,
  rules: TaxiRules,
): Promise<SettleRide[]> {
  const year = countedYear(fromDay, rules);
  const yearStart = Date.UTC(year, rules.yearStartMonth - 1, 1) - 9 * 3600_000;
  const end = (toDay + 1) * 86_400_000 - 9 * 3600_000;
  const r = await db.query<{
    terminal_id: string;
    seq: number;
    user_id: string;
    company: string;
    at_ms: number;
    fare_yen: number;
    subsidy_yen: number;
    board_in_city: boolean;
    alight_in_city: boolean;
    voided: boolean;
    registered: boolean;
  }>(
    `SELECT r.terminal_id, r.seq, r.user_id, r.company,
            (extract(epoch FROM r.at) * 1000)::bigint AS at_ms,
            r.fare_yen, r.subsidy_yen, r.board_in_city, r.alight_in_city,
            EXISTS (SELECT 1 FROM taxi_records v WHERE v.terminal_id = r.terminal_id
                     AND v.kind = 'void' AND v.voids = r.seq) AS voided,
            EXISTS (SELECT 1 FROM taxi_holders h WHERE h.user_id = r.user_id) AS registered
       FROM taxi_records r
      WHERE r.kind = 'ride' AND r.at >= $1 AND r.at < $2`,
    [new Date(yearStart).toISOString(), new Date(end).toISOString()],
  );
  return r.rows.map((x) => ({
    terminalId: x.terminal_id,
    seq: Number(x.seq),
    userId: x.user_id,
    company: x.company,
    atMs: Number(x.at_ms),
    fareYen: x.fare_yen,
    subsidyYen: x.subsidy_yen,
    boardInCity: x.board_in_city,
    alightInCity: x.alight_in_city,
    voided: x.voided,
    registered: x.registered,
  }));
}

/** For the staff page: counts, gaps (seqs a terminal skipped: rides not synced yet) and conflicts. */
export async function overview(db: Queryable): Promise<{
  holders: number;
  terminals: {
    terminalId: string;
    company: string;
    heldThrough: number;
    highest: number;
    lastSkewMs: number | null;
    lastSyncAt: string | null;
  }[];
  conflicts: number;
  feedNext: number;
}> {
  const h = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM taxi_holders');
  const t = await db.query<{
    terminal_id: string;
    company: string;
    highest: number | null;
    last_skew_ms: number | null;
    last_sync_at: string | null;
  }>(
    `SELECT t.terminal_id, t.company, t.last_skew_ms, t.last_sync_at::text AS last_sync_at,
            (SELECT max(seq) FROM taxi_records r WHERE r.terminal_id = t.terminal_id) AS highest
       FROM taxi_terminals t ORDER BY t.company, t.terminal_id`,
  );
  const terminals = [];
  for (const row of t.rows)
    terminals.push({
      terminalId: row.terminal_id,
      company: row.company,
      heldThrough: await heldThrough(db, row.terminal_id),
      highest: Number(row.highest ?? 0),
      lastSkewMs: row.last_skew_ms === null ? null : Number(row.last_skew_ms),
      lastSyncAt: row.last_sync_at,
    });
  const c = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM taxi_conflicts');
  return {
    holders: Number(h.rows[0]?.n ?? 0),
    terminals,
    conflicts: Number(c.rows[0]?.n ?? 0),
    feedNext: await feedCursor(db),
  };
}
