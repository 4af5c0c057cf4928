/**
 * The staff entry system's database (migrations/, owner `staff_entry`): staff and
 * their card APs' user IDs, doors and their terminals, permissions, the
 * hash-chained entry log and the status feed. SQL here; the rules in rules.ts, the
 * chain in chain.ts. Every change is one transaction; an entry takes the log's head
 * row for update, so two doors never write the same seq.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Db, MigrationSet, Queryable } from '@myna-ap/db';
import type { CardStatus, FeedEntryLike } from '@myna-ap/access';
import { rowHash, verifyChain, type ChainVerdict, type EntryRow } from './chain.ts';
import { StaffError, type StaffErrorCode } from './errors.ts';
import { decideEntry, type DoorLevel, type Permission } from './rules.ts';

export const staffMigrations: MigrationSet = {
  owner: 'staff_entry',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};

const USER_ID = /^[0-9A-F]{26}$/;
const ID = /^[A-Za-z0-9-]{1,32}$/;
const STAFF_NO = /^[A-Za-z0-9-]{1,16}$/;
const squash = (s: unknown) =>
  typeof s === 'string' ? s.normalize('NFKC').replace(/\s+/g, ' ').trim() : '';

/** A 13-byte user ID as the access module gives it (upper-case hex), or BAD_REQUEST. */
export function userIdFrom(input: unknown): string {
  const s = typeof input === 'string' ? input.trim().toUpperCase() : '';
  if (!USER_ID.test(s))
    throw new StaffError('BAD_REQUEST', {
      en: 'a user ID is 13 bytes in hex (26 digits)',
      ja: '利用者IDは13バイト（16進数26桁）です',
    });
  return s;
}

export interface StaffInput {
  readonly staffNo: string;
  readonly name: string;
  /** The user ID of the staff card's touch card AP (system-fixed PIN). */
  readonly touchUserId: string;
  /** The user ID of the staff card's PIN card AP (the holder's PIN). */
  readonly pinUserId: string;
}

/** A staff registration from a form or JSON, checked whole before anything is written. */
export function staffInputFrom(b: Record<string, unknown>): StaffInput {
  const staffNo = typeof b.staffNo === 'string' ? b.staffNo.trim() : '';
  const name = squash(b.name);
  if (!STAFF_NO.test(staffNo) || name.length < 1 || name.length > 100)
    throw new StaffError('STAFF_INVALID');
  const touchUserId = userIdFrom(b.touchUserId);
  const pinUserId = userIdFrom(b.pinUserId);
  if (touchUserId === pinUserId)
    throw new StaffError('BAD_REQUEST', {
      en: 'the touch and PIN card APs have different user IDs',
      ja: 'タッチ用とPIN用のカードAPの利用者IDは別のものです',
    });
  return { staffNo, name, touchUserId, pinUserId };
}

/** 職員登録: the staff member and the two user IDs of their staff card. */
export async function addStaff(db: Db, s: StaffInput): Promise<void> {
  await db.transaction(async (tx) => {
    const had = await tx.query('SELECT 1 FROM staff_members WHERE staff_no = $1', [s.staffNo]);
    if (had.rows.length > 0) throw new StaffError('STAFF_EXISTS');
    const used = await tx.query<{ staff_no: string }>(
      'SELECT staff_no FROM staff_cards WHERE user_id = ANY($1::text[])',
      [[s.touchUserId, s.pinUserId]],
    );
    if (used.rows[0])
      throw new StaffError('CARD_IN_USE', {
        en: `this card AP is already registered to staff ${used.rows[0].staff_no}`,
        ja: `このカードAPは職員番号 ${used.rows[0].staff_no} に登録済みです`,
      });
    await tx.query('INSERT INTO staff_members (staff_no, name) VALUES ($1, $2)', [
      s.staffNo,
      s.name,
    ]);
    await tx.query(
      `INSERT INTO staff_cards (user_id, staff_no, kind) VALUES ($1, $3, 'touch'), ($2, $3, 'pin')`,
      [s.touchUserId, s.pinUserId, s.staffNo],
    );
  });
}

export interface Door {
  readonly doorId: string;
  readonly name: string;
  readonly level: DoorLevel;
}

export function doorFrom(b: Record<string, unknown>): Door {
  const doorId = typeof b.doorId === 'string' ? b.doorId.trim() : '';
  const name = squash(b.name);
  const level = b.level;
  if (
    !ID.test(doorId) ||
    name.length < 1 ||
    name.length > 100 ||
    (level !== 'low' && level !== 'secure')
  )
    throw new StaffError('DOOR_INVALID');
  return { doorId, name, level };
}

export async function addDoor(db: Queryable, d: Door): Promise<void> {
  const r = await db.query(
    'INSERT INTO staff_doors (door_id, name, level) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [d.doorId, d.name, d.level],
  );
  if (r.rowCount === 0) throw new StaffError('DOOR_EXISTS');
}

export async function doorOf(db: Queryable, doorId: string): Promise<Door> {
  const r = await db.query<{ door_id: string; name: string; level: DoorLevel }>(
    'SELECT door_id, name, level FROM staff_doors WHERE door_id = $1',
    [doorId],
  );
  const d = r.rows[0];
  if (!d) throw new StaffError('DOOR_UNKNOWN');
  return { doorId: d.door_id, name: d.name, level: d.level };
}

/** 権限の付与. */
export async function grant(db: Queryable, staffNo: string, p: Permission): Promise<void> {
  const s = await db.query('SELECT 1 FROM staff_members WHERE staff_no = $1', [staffNo]);
  if (s.rows.length === 0) throw new StaffError('STAFF_UNKNOWN');
  await doorOf(db, p.doorId);
  await db.query(
    'INSERT INTO staff_permissions (staff_no, door_id, days, from_min, to_min) VALUES ($1, $2, $3, $4, $5)',
    [staffNo, p.doorId, p.days.join(','), p.from, p.to],
  );
}

export async function permissionsOf(db: Queryable, staffNo: string): Promise<Permission[]> {
  const r = await db.query<{ door_id: string; days: string; from_min: number; to_min: number }>(
    'SELECT door_id, days, from_min, to_min FROM staff_permissions WHERE staff_no = $1 ORDER BY id',
    [staffNo],
  );
  return r.rows.map((x) => ({
    doorId: x.door_id,
    days: x.days.split(',').map(Number),
    from: Number(x.from_min),
    to: Number(x.to_min),
  }));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A door terminal: its token is shown once and kept only as its hash. */
export async function addTerminal(
  db: Queryable,
  terminalId: string,
  doorId: string,
): Promise<{ terminalId: string; token: string }> {
  if (!ID.test(terminalId))
    throw new StaffError('BAD_REQUEST', {
      en: 'a terminal ID is 1–32 letters, digits or -',
      ja: '端末IDは英数字と - の1〜32文字です',
    });
  await doorOf(db, doorId);
  const token = randomBytes(24).toString('base64url');
  const r = await db.query(
    'INSERT INTO staff_terminals (terminal_id, door_id, token_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [terminalId, doorId, sha256(token)],
  );
  if (r.rowCount === 0)
    throw new StaffError('BAD_REQUEST', {
      en: 'that terminal ID is used',
      ja: 'その端末IDは登録済みです',
    });
  return { terminalId, token };
}

export async function terminalByToken(
  db: Queryable,
  token: string,
): Promise<Door & { terminalId: string }> {
  const r = await db.query<{ terminal_id: string; door_id: string }>(
    'SELECT terminal_id, door_id FROM staff_terminals WHERE token_hash = $1',
    [sha256(token)],
  );
  const t = r.rows[0];
  if (!t) throw new StaffError('TERMINAL_AUTH');
  return { terminalId: t.terminal_id, ...(await doorOf(db, t.door_id)) };
}

/** What a door terminal reports of one touch. The PIN itself never comes here. */
export interface DoorReport {
  readonly touchUserId: string;
  /** The PIN card AP's user ID, when the card verified the PIN typed at the door. */
  readonly pinUserId?: string | undefined;
  /** When the card refused the PIN typed at the door. */
  readonly pinFailure?:
    { readonly code: 'PIN_WRONG' | 'PIN_LOCKED'; readonly triesLeft: number } | undefined;
}

export interface EntryOutcome {
  readonly seq: number;
  readonly opened: boolean;
  readonly code: 'OPENED' | StaffErrorCode;
  readonly staffNo: string;
  readonly name: string;
}

const STATUS_REFUSAL: Partial<Record<CardStatus, StaffErrorCode>> = {
  lost: 'CARD_LOST',
  suspended: 'CARD_SUSPENDED',
  revoked: 'CARD_REVOKED',
};

/**
 * 入室: decides one touch at a door and appends it to the log, opened or refused, in
 * one transaction. Order: the card's status (lost first: refused at once, whatever
 * the permissions), the card registered, the PIN card AP of the same staff member,
 * the permissions and hours, the PIN for a secure room.
 */
export async function recordEntry(
  db: Db,
  door: Door,
  report: DoorReport,
  at: Date,
): Promise<EntryOutcome> {
  const touch = userIdFrom(report.touchUserId);
  const pinId = report.pinUserId === undefined ? undefined : userIdFrom(report.pinUserId);
  return db.transaction(async (tx) => {
    let staffNo = '';
    let name = '';
    const decide = async (): Promise<'OPENED' | StaffErrorCode> => {
      for (const id of pinId ? [touch, pinId] : [touch]) {
        const refusal = STATUS_REFUSAL[(await cardStatusOf(tx, id)) ?? 'active'];
        if (refusal) return refusal;
      }
      const c = await tx.query<{ staff_no: string; name: string }>(
        `SELECT c.staff_no, m.name FROM staff_cards c JOIN staff_members m USING (staff_no)
          WHERE c.user_id = $1 AND c.kind = 'touch'`,
        [touch],
      );
      const card = c.rows[0];
      if (!card) return 'CARD_NOT_REGISTERED';
      staffNo = card.staff_no;
      name = card.name;
      if (report.pinFailure) return report.pinFailure.code;
      if (pinId) {
        const p = await tx.query(
          `SELECT 1 FROM staff_cards WHERE user_id = $1 AND kind = 'pin' AND staff_no = $2`,
          [pinId, staffNo],
        );
        if (p.rows.length === 0) return 'CARD_MISMATCH';
      }
      const d = decideEntry(door, await permissionsOf(tx, staffNo), at, pinId !== undefined);
      return d.ok ? 'OPENED' : d.reason;
    };
    const code = await decide();
    const head = await tx.query<{ seq: string; hash: string }>(
      'SELECT seq, hash FROM staff_log_head WHERE id = 1 FOR UPDATE',
    );
    const prev = head.rows[0]!;
    const fields = {
      seq: Number(prev.seq) + 1,
      at: at.toISOString(),
      doorId: door.doorId,
      userId: touch,
      staffNo,
      opened: code === 'OPENED',
      code,
    };
    const hash = rowHash(prev.hash, fields);
    await tx.query(
      `INSERT INTO staff_entries (seq, at, door_id, user_id, staff_no, opened, code, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [fields.seq, fields.at, fields.doorId, touch, staffNo, fields.opened, code, prev.hash, hash],
    );
    await tx.query('UPDATE staff_log_head SET seq = $1, hash = $2 WHERE id = 1', [
      fields.seq,
      hash,
    ]);
    return { seq: fields.seq, opened: fields.opened, code, staffNo, name };
  });
}

/** The log, oldest first (`after` for paging). */
export async function entries(
  db: Queryable,
  o: { after?: number; limit?: number } = {},
): Promise<EntryRow[]> {
  const r = await db.query<{
    seq: string;
    at: string;
    door_id: string;
    user_id: string;
    staff_no: string;
    opened: boolean;
    code: string;
    prev_hash: string;
    hash: string;
  }>('SELECT * FROM staff_entries WHERE seq > $1 ORDER BY seq LIMIT $2', [
    o.after ?? 0,
    o.limit ?? 1_000_000,
  ]);
  return r.rows.map((x) => ({
    seq: Number(x.seq),
    at: x.at,
    doorId: x.door_id,
    userId: x.user_id,
    staffNo: x.staff_no,
    opened: x.opened,
    code: x.code,
    prevHash: x.prev_hash,
    hash: x.hash,
  }));
}

/** 改ざん検知: the whole log against its chain and head. */
export async function verifyLog(db: Queryable): Promise<ChainVerdict> {
  const head = await db.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM staff_log_head WHERE id = 1',
  );
  const h = head.rows[0]!;
  return verifyChain(await entries(db), { seq: Number(h.seq), hash: h.hash });
}

// --- the status feed ---

/** Keeps the feed events that name the staff card's card APs, and moves the cursor, in one transaction. */
export async function storeFeedPage(
  db: Db,
  aids: readonly string[],
  page: { events: readonly FeedEntryLike[]; next: number },
): Promise<number> {
  const want = new Set(aids.map((a) => a.toUpperCase()));
  return db.transaction(async (tx) => {
    let kept = 0;
    for (const e of page.events)
      for (const ap of e.cardAps ?? []) {
        if (!want.has(ap.aid.toUpperCase())) continue;
        const r = await tx.query(
          `INSERT INTO staff_status_events (seq, user_id, status) VALUES ($1, $2, $3)
           ON CONFLICT (seq, user_id) DO NOTHING`,
          [e.seq, ap.userId.toUpperCase(), e.status],
        );
        kept += r.rowCount;
      }
    await tx.query('UPDATE staff_feed_cursor SET next = GREATEST(next, $1) WHERE id = 1', [
      page.next,
    ]);
    return kept;
  });
}

export async function feedCursor(db: Queryable): Promise<number> {
  const r = await db.query<{ next: string }>('SELECT next FROM staff_feed_cursor WHERE id = 1');
  return Number(r.rows[0]?.next ?? 0);
}

/** The card AP's last status in the feed (the highest seq wins), or undefined when never named. */
export async function cardStatusOf(db: Queryable, userId: string): Promise<CardStatus | undefined> {
  const r = await db.query<{ status: CardStatus }>(
    'SELECT status FROM staff_status_events WHERE user_id = $1 ORDER BY seq DESC LIMIT 1',
    [userId.toUpperCase()],
  );
  return r.rows[0]?.status;
}

export interface StaffRow {
  readonly staffNo: string;
  readonly name: string;
  readonly permissions: readonly Permission[];
}

/** For the admin page. */
export async function staffList(db: Queryable): Promise<StaffRow[]> {
  const r = await db.query<{ staff_no: string; name: string }>(
    'SELECT staff_no, name FROM staff_members ORDER BY staff_no',
  );
  const out: StaffRow[] = [];
  for (const x of r.rows)
    out.push({
      staffNo: x.staff_no,
      name: x.name,
      permissions: await permissionsOf(db, x.staff_no),
    });
  return out;
}

export async function doorList(db: Queryable): Promise<Door[]> {
  const r = await db.query<{ door_id: string; name: string; level: DoorLevel }>(
    'SELECT door_id, name, level FROM staff_doors ORDER BY door_id',
  );
  return r.rows.map((d) => ({ doorId: d.door_id, name: d.name, level: d.level }));
}
