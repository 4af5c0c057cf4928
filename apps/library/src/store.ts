/**
 * The library's database (migrations/, owner `library`): holders and the cards they
 * were registered by, books, loans, and the status feed as far as it names the
 * library's card AP. SQL here; the rules in rules.ts and holder.ts. Every change is
 * one serializable transaction (retried on conflict), so two counters cannot lend
 * one book twice or register one card twice.
 */
import { fileURLToPath } from 'node:url';
import type { Db, MigrationSet, Queryable } from '@myna-ap/db';
import type { CardStatus, FeedEntryLike } from '@myna-ap/access';
import { LibraryError } from './errors.ts';
import { sameHolderKey, sameName, type HolderDetails } from './holder.ts';
import { decideLend, overdueDays, type LibraryRules } from './rules.ts';

export const libraryMigrations: MigrationSet = {
  owner: 'library',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};

const USER_ID = /^[0-9A-F]{26}$/;

/** A 13-byte user ID as the access module gives it (upper-case hex), or BAD_REQUEST. */
export function userIdFrom(input: unknown): string {
  const s = typeof input === 'string' ? input.trim().toUpperCase() : '';
  if (!USER_ID.test(s))
    throw new LibraryError('BAD_REQUEST', {
      en: 'a user ID is 13 bytes in hex (26 digits)',
      ja: '利用者IDは13バイト（16進数26桁）です',
    });
  return s;
}

const BOOK_ID = /^[A-Za-z0-9-]{1,32}$/;

export function bookIdFrom(input: unknown): string {
  const s = typeof input === 'string' ? input.trim() : '';
  if (!BOOK_ID.test(s)) throw new LibraryError('BOOK_INVALID');
  return s;
}

export interface Holder {
  readonly holderNo: number;
  readonly name: string;
  readonly contact: string;
}

export interface Registration {
  readonly holderNo: number;
  /** True when an existing holder's registration moved to this card. */
  readonly moved: boolean;
}

/**
 * 利用登録 by the user ID the card just gave. A card already registered is told so
 * (ALREADY_REGISTERED, with the holder's number), never registered twice. A new
 * user ID whose name and contact match a holder already registered is
 * POSSIBLY_REGISTERED: the card cannot say it is the same person (user IDs are
 * random per loading), the staff can — and then pass `moveFrom`, which moves that
 * holder to this card (the name must match; the contact is updated) and retires the
 * old card.
 */
export async function registerHolder(
  db: Db,
  userId: string,
  details: HolderDetails,
  o: { moveFrom?: number } = {},
): Promise<Registration> {
  const uid = userIdFrom(userId);
  return db.transaction(async (tx) => {
    const had = await tx.query<{ holder_no: string; retired_at: string | null }>(
      'SELECT holder_no, retired_at FROM library_cards WHERE user_id = $1',
      [uid],
    );
    const row = had.rows[0];
    if (row)
      throw new LibraryError('ALREADY_REGISTERED', {
        en: `this card is already registered: holder ${row.holder_no}${row.retired_at ? ' (this card was retired: the registration moved to another card)' : ''}`,
        ja: `このカードは登録済みです（利用者番号 ${row.holder_no}${row.retired_at ? '。このカードの登録は別のカードに移されています' : ''}）`,
      });
    if (o.moveFrom !== undefined) {
      const h = await tx.query<{ name: string }>(
        'SELECT name FROM library_holders WHERE holder_no = $1',
        [o.moveFrom],
      );
      const was = h.rows[0];
      if (!was) throw new LibraryError('HOLDER_UNKNOWN');
      // A mistyped number must not move someone else's registration: the name must
      // match (folded); the contact may have changed, and is updated.
      if (sameName(was.name) !== sameName(details.name))
        throw new LibraryError('HOLDER_MISMATCH', {
          en: `holder ${o.moveFrom} is registered under another name: check the holder number`,
          ja: `利用者番号 ${o.moveFrom} は別の氏名で登録されています。利用者番号を確認してください`,
        });
      await tx.query(
        'UPDATE library_holders SET contact = $2, same_key = $3 WHERE holder_no = $1',
        [o.moveFrom, details.contact, sameHolderKey(details)],
      );
      await tx.query(
        'UPDATE library_cards SET retired_at = now() WHERE holder_no = $1 AND retired_at IS NULL',
        [o.moveFrom],
      );
      await tx.query('INSERT INTO library_cards (user_id, holder_no) VALUES ($1, $2)', [
        uid,
        o.moveFrom,
      ]);
      return { holderNo: o.moveFrom, moved: true };
    }
    const key = sameHolderKey(details);
    const same = await tx.query<{ holder_no: string }>(
      'SELECT holder_no FROM library_holders WHERE same_key = $1 ORDER BY holder_no',
      [key],
    );
    if (same.rows.length > 0) {
      const nos = same.rows.map((r) => r.holder_no).join(', ');
      throw new LibraryError('POSSIBLY_REGISTERED', {
        en: `${LIBRARY_TEXT_POSSIBLY.en} (holder ${nos})`,
        ja: `${LIBRARY_TEXT_POSSIBLY.ja}（利用者番号 ${nos}）`,
      });
    }
    const ins = await tx.query<{ holder_no: string }>(
      'INSERT INTO library_holders (name, contact, same_key) VALUES ($1, $2, $3) RETURNING holder_no',
      [details.name, details.contact, key],
    );
    const holderNo = Number(ins.rows[0]!.holder_no);
    await tx.query('INSERT INTO library_cards (user_id, holder_no) VALUES ($1, $2)', [
      uid,
      holderNo,
    ]);
    return { holderNo, moved: false };
  });
}

const LIBRARY_TEXT_POSSIBLY = {
  en: 'a holder with this name and contact is already registered',
  ja: '同じ氏名・連絡先の利用者が登録済みです',
};

/** The holder a card is registered to: CARD_NOT_REGISTERED, or CARD_RETIRED for a card moved from. */
export async function holderByCard(db: Queryable, userId: string): Promise<Holder> {
  const r = await db.query<{ holder_no: string; name: string; contact: string; retired: boolean }>(
    `SELECT h.holder_no, h.name, h.contact, c.retired_at IS NOT NULL AS retired
       FROM library_cards c JOIN library_holders h USING (holder_no) WHERE c.user_id = $1`,
    [userIdFrom(userId)],
  );
  const row = r.rows[0];
  if (!row) throw new LibraryError('CARD_NOT_REGISTERED');
  if (row.retired) throw new LibraryError('CARD_RETIRED');
  return { holderNo: Number(row.holder_no), name: row.name, contact: row.contact };
}

// --- books and loans ---

export async function addBook(db: Queryable, bookId: unknown, title: unknown): Promise<void> {
  const id = bookIdFrom(bookId);
  const t = typeof title === 'string' ? title.normalize('NFKC').trim() : '';
  if (t.length < 1 || t.length > 200) throw new LibraryError('BOOK_INVALID');
  const r = await db.query(
    'INSERT INTO library_books (book_id, title) VALUES ($1, $2) ON CONFLICT (book_id) DO NOTHING',
    [id, t],
  );
  if (r.rowCount === 0) throw new LibraryError('BOOK_EXISTS');
}

export interface Loan {
  readonly bookId: string;
  readonly title: string;
  readonly lentDay: number;
  readonly dueDay: number;
}

export async function loansOf(db: Queryable, holderNo: number): Promise<Loan[]> {
  const r = await db.query<{ book_id: string; title: string; lent_day: number; due_day: number }>(
    `SELECT l.book_id, b.title, l.lent_day, l.due_day FROM library_loans l
       JOIN library_books b USING (book_id)
      WHERE l.holder_no = $1 AND l.returned_at IS NULL ORDER BY l.due_day, l.book_id`,
    [holderNo],
  );
  return r.rows.map((x) => ({
    bookId: x.book_id,
    title: x.title,
    lentDay: Number(x.lent_day),
    dueDay: Number(x.due_day),
  }));
}

/**
 * 貸出: lends `bookIds` to the holder on `today`, all or none — the rules decide on
 * the holder's current loans; an unknown book, a book on loan, or the same book
 * twice refuses the whole request.
 */
export async function lendBooks(
  db: Db,
  holderNo: number,
  bookIds: readonly string[],
  today: number,
  at: Date,
  rules: LibraryRules,
): Promise<Loan[]> {
  const ids = bookIds.map(bookIdFrom);
  if (ids.length === 0 || new Set(ids).size !== ids.length)
    throw new LibraryError('BAD_REQUEST', {
      en: 'name each book once, at least one',
      ja: '資料IDを1件以上、重複なく指定してください',
    });
  return db.transaction(async (tx) => {
    const held = await tx.query<{ due_day: number }>(
      'SELECT due_day FROM library_loans WHERE holder_no = $1 AND returned_at IS NULL',
      [holderNo],
    );
    const decision = decideLend(
      held.rows.map((r) => Number(r.due_day)),
      ids.length,
      today,
      rules,
    );
    if (!decision.ok) {
      const e = new LibraryError(decision.reason);
      if (decision.reason === 'LOAN_LIMIT')
        throw new LibraryError('LOAN_LIMIT', {
          en: `${e.text.en}: ${rules.maxLoans} at once, ${held.rows.length} on loan, ${decision.may} more allowed`,
          ja: `${e.text.ja}（上限 ${rules.maxLoans} 冊、貸出中 ${held.rows.length} 冊、あと ${decision.may} 冊まで）`,
        });
      throw e;
    }
    const lent: Loan[] = [];
    for (const id of ids) {
      const b = await tx.query<{ title: string; out: boolean }>(
        `SELECT title, EXISTS (SELECT 1 FROM library_loans l WHERE l.book_id = b.book_id
                 AND l.returned_at IS NULL) AS out FROM library_books b WHERE book_id = $1`,
        [id],
      );
      const book = b.rows[0];
      if (!book)
        throw new LibraryError('BOOK_UNKNOWN', {
          en: `no such book: ${id}`,
          ja: `その資料は登録されていません: ${id}`,
        });
      if (book.out)
        throw new LibraryError('BOOK_ON_LOAN', {
          en: `${id} is on loan: return it first`,
          ja: `${id} は貸出中です。先に返却してください`,
        });
      await tx.query(
        `INSERT INTO library_loans (book_id, holder_no, lent_day, due_day, lent_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [id, holderNo, today, decision.dueDay, at.toISOString()],
      );
      lent.push({ bookId: id, title: book.title, lentDay: today, dueDay: decision.dueDay });
    }
    return lent;
  });
}

export interface Returned {
  readonly bookId: string;
  readonly holderNo: number;
  readonly overdueDays: number;
}

/** 返却: by the books alone, all or none (a book not on loan refuses the request). */
export async function returnBooks(
  db: Db,
  bookIds: readonly string[],
  today: number,
  at: Date,
): Promise<Returned[]> {
  const ids = bookIds.map(bookIdFrom);
  if (ids.length === 0 || new Set(ids).size !== ids.length)
    throw new LibraryError('BAD_REQUEST', {
      en: 'name each book once, at least one',
      ja: '資料IDを1件以上、重複なく指定してください',
    });
  return db.transaction(async (tx) => {
    const out: Returned[] = [];
    for (const id of ids) {
      const r = await tx.query<{ holder_no: string; due_day: number }>(
        `UPDATE library_loans SET returned_at = $2 WHERE book_id = $1 AND returned_at IS NULL
         RETURNING holder_no, due_day`,
        [id, at.toISOString()],
      );
      const row = r.rows[0];
      if (!row)
        throw new LibraryError('BOOK_NOT_ON_LOAN', {
          en: `${id} is not on loan`,
          ja: `${id} は貸出中ではありません`,
        });
      out.push({
        bookId: id,
        holderNo: Number(row.holder_no),
        overdueDays: overdueDays(Number(row.due_day), today),
      });
    }
    return out;
  });
}

export interface OverdueLoan extends Loan {
  readonly holderNo: number;
  readonly name: string;
  readonly contact: string;
  readonly overdueDays: number;
}

/** 延滞一覧: every loan past its due day on `today`, the longest overdue first. */
export async function overdueList(db: Queryable, today: number): Promise<OverdueLoan[]> {
  const r = await db.query<{
    book_id: string;
    title: string;
    lent_day: number;
    due_day: number;
    holder_no: string;
    name: string;
    contact: string;
  }>(
    `SELECT l.book_id, b.title, l.lent_day, l.due_day, h.holder_no, h.name, h.contact
       FROM library_loans l JOIN library_books b USING (book_id) JOIN library_holders h USING (holder_no)
      WHERE l.returned_at IS NULL AND l.due_day < $1
      ORDER BY l.due_day, h.holder_no, l.book_id`,
    [today],
  );
  return r.rows.map((x) => ({
    bookId: x.book_id,
    title: x.title,
    lentDay: Number(x.lent_day),
    dueDay: Number(x.due_day),
    holderNo: Number(x.holder_no),
    name: x.name,
    contact: x.contact,
    overdueDays: overdueDays(Number(x.due_day), today),
  }));
}

// --- the status feed ---

/** Keeps the feed events that name the library's card AP, and moves the cursor, in one transaction. */
export async function storeFeedPage(
  db: Db,
  aid: string,
  page: { events: readonly FeedEntryLike[]; next: number },
): Promise<number> {
  const want = aid.toUpperCase();
  return db.transaction(async (tx) => {
    let kept = 0;
    for (const e of page.events)
      for (const ap of e.cardAps ?? []) {
        if (ap.aid.toUpperCase() !== want) continue;
        const r = await tx.query(
          `INSERT INTO library_status_events (seq, user_id, status) VALUES ($1, $2, $3)
           ON CONFLICT (seq, user_id) DO NOTHING`,
          [e.seq, ap.userId.toUpperCase(), e.status],
        );
        kept += r.rowCount;
      }
    await tx.query('UPDATE library_feed_cursor SET next = GREATEST(next, $1) WHERE id = 1', [
      page.next,
    ]);
    return kept;
  });
}

export async function feedCursor(db: Queryable): Promise<number> {
  const r = await db.query<{ next: string }>('SELECT next FROM library_feed_cursor WHERE id = 1');
  return Number(r.rows[0]?.next ?? 0);
}

/** The card's last status in the feed (the highest seq wins), or undefined when never named. */
export async function cardStatusOf(db: Queryable, userId: string): Promise<CardStatus | undefined> {
  const r = await db.query<{ status: CardStatus }>(
    'SELECT status FROM library_status_events WHERE user_id = $1 ORDER BY seq DESC LIMIT 1',
    [userId.toUpperCase()],
  );
  return r.rows[0]?.status;
}

/** For the staff page. */
export async function overview(
  db: Queryable,
  today: number,
): Promise<{ holders: number; books: number; onLoan: number; overdue: number; feedNext: number }> {
  const r = await db.query<{ holders: number; books: number; on_loan: number; overdue: number }>(
    `SELECT (SELECT count(*)::int FROM library_holders) AS holders,
            (SELECT count(*)::int FROM library_books) AS books,
            (SELECT count(*)::int FROM library_loans WHERE returned_at IS NULL) AS on_loan,
            (SELECT count(*)::int FROM library_loans WHERE returned_at IS NULL AND due_day < $1) AS overdue`,
    [today],
  );
  const x = r.rows[0]!;
  return {
    holders: Number(x.holders),
    books: Number(x.books),
    onLoan: Number(x.on_loan),
    overdue: Number(x.overdue),
    feedNext: await feedCursor(db),
  };
}
