/**
 * The library's store on both backends (PGlite, and a throwaway PostgreSQL where
 * the binaries are): a card registered once, the same person found by name and
 * contact and moved to a new card, loans all or none under the rules, one holder
 * per book, returns with their overdue days, the overdue list, and the status feed
 * kept for the library's AID only, the last seq winning.
 */
import assert from 'node:assert/strict';
import type { Db } from '@myna-ap/db';
import { storeTests } from '@myna-ap/app-kit/testing';
import { DEFAULT_RULES, libraryRules } from '../src/rules.ts';
import {
  addBook,
  cardStatusOf,
  feedCursor,
  holderByCard,
  lendBooks,
  libraryMigrations,
  loansOf,
  overdueList,
  overview,
  registerHolder,
  returnBooks,
  storeFeedPage,
} from '../src/store.ts';

const U1 = '0102030405060708090A0B0C0D';
const U2 = 'A1A2A3A4A5A6A7A8A9AAABACAD';
const U3 = 'B1B2B3B4B5B6B7B8B9BABBBCBD';
const AID = 'F04D594E4150000100';
const YAMADA = { name: '山田 太郎', contact: '090-1234-5678' };
const DAY = 20_605; // 2026-06-01
const AT = new Date('2026-06-01T10:00:00+09:00');

async function exercise(db: Db) {
  // 利用登録: once per card; the same card again is told, with the holder's number.
  const first = await registerHolder(db, U1.toLowerCase(), YAMADA);
  assert.deepEqual(first, { holderNo: first.holderNo, moved: false });
  await assert.rejects(
    registerHolder(db, U1, { name: '別人', contact: '03-0000-0000' }),
    (e: { code: string; text: { ja: string } }) =>
      e.code === 'ALREADY_REGISTERED' && e.text.ja.includes(`利用者番号 ${first.holderNo}`),
  );
  // A new card (new user ID) with the same name and contact: told, not duplicated.
  await assert.rejects(
    registerHolder(db, U2, { name: '山田太郎', contact: '09012345678' }),
    (e: { code: string; text: { en: string } }) =>
      e.code === 'POSSIBLY_REGISTERED' && e.text.en.includes(`holder ${first.holderNo}`),
  );
  assert.equal((await overview(db, DAY)).holders, 1, 'nothing was added by the refusals');
  await assert.rejects(registerHolder(db, 'XYZ', YAMADA), { code: 'BAD_REQUEST' });
  await assert.rejects(registerHolder(db, U2, YAMADA, { moveFrom: 999 }), {
    code: 'HOLDER_UNKNOWN',
  });
  // A mistyped holder number: another name, refused, nothing moved.
  const sato = { name: '佐藤 花子', contact: 'hanako@example.jp' };
  await assert.rejects(registerHolder(db, U2, sato, { moveFrom: first.holderNo }), {
    code: 'HOLDER_MISMATCH',
  });
  assert.equal((await holderByCard(db, U1)).holderNo, first.holderNo);
  // The staff move the holder to the new card (a new phone number too): the old card is retired.
  const moved = { name: '山田太郎', contact: '080-9999-0000' };
  assert.deepEqual(await registerHolder(db, U2, moved, { moveFrom: first.holderNo }), {
    holderNo: first.holderNo,
    moved: true,
  });
  await assert.rejects(holderByCard(db, U1), { code: 'CARD_RETIRED' });
  assert.deepEqual(await holderByCard(db, U2), {
    holderNo: first.holderNo,
    name: '山田 太郎',
    contact: '080-9999-0000',
  });
  await assert.rejects(holderByCard(db, U3), { code: 'CARD_NOT_REGISTERED' });
  await assert.rejects(registerHolder(db, U1, YAMADA, { moveFrom: first.holderNo }), {
    code: 'ALREADY_REGISTERED',
  });
  const other = await registerHolder(db, U3, sato);
  assert.notEqual(other.holderNo, first.holderNo);

  // Books.
  for (let i = 1; i <= 12; i++) await addBook(db, `B${i}`, `本 ${i}`);
  await assert.rejects(addBook(db, 'B1', 'again'), { code: 'BOOK_EXISTS' });
  await assert.rejects(addBook(db, 'bad id!', 'x'), { code: 'BOOK_INVALID' });
  await assert.rejects(addBook(db, 'B99', ''), { code: 'BOOK_INVALID' });

  // Lending, all or none.
  const h = first.holderNo;
  const lent = await lendBooks(db, h, ['B1', 'B2'], DAY, AT, DEFAULT_RULES);
  assert.deepEqual(
    lent.map((l) => [l.bookId, l.title, l.dueDay]),
    [
      ['B1', '本 1', DAY + 14],
      ['B2', '本 2', DAY + 14],
    ],
  );
  await assert.rejects(lendBooks(db, other.holderNo, ['B3', 'B1'], DAY, AT, DEFAULT_RULES), {
    code: 'BOOK_ON_LOAN',
  });
  assert.equal((await loansOf(db, other.holderNo)).length, 0, 'B3 was not lent either');
  await assert.rejects(lendBooks(db, h, ['B3', 'NOPE'], DAY, AT, DEFAULT_RULES), {
    code: 'BOOK_UNKNOWN',
  });
  await assert.rejects(lendBooks(db, h, ['B3', 'B3'], DAY, AT, DEFAULT_RULES), {
    code: 'BAD_REQUEST',
  });
  await assert.rejects(lendBooks(db, h, [], DAY, AT, DEFAULT_RULES), { code: 'BAD_REQUEST' });
  const nine = ['B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10', 'B11'];
  await assert.rejects(
    lendBooks(db, h, nine, DAY, AT, DEFAULT_RULES),
    (e: { code: string; text: { ja: string } }) =>
      e.code === 'LOAN_LIMIT' && e.text.ja.includes('あと 8 冊'),
  );
  assert.equal((await loansOf(db, h)).length, 2);
  await lendBooks(db, h, nine.slice(0, 8), DAY, AT, DEFAULT_RULES);
  assert.equal((await loansOf(db, h)).length, 10);

  // Overdue: on day DAY+15 every one of the ten is a day late.
  assert.deepEqual(await overdueList(db, DAY + 14), []);
  const late = await overdueList(db, DAY + 15);
  assert.equal(late.length, 10);
  assert.deepEqual(
    [late[0]!.holderNo, late[0]!.name, late[0]!.contact, late[0]!.overdueDays],
    [h, '山田 太郎', '080-9999-0000', 1],
  );
  await assert.rejects(
    lendBooks(db, other.holderNo, ['B12'], DAY + 15, AT, DEFAULT_RULES).then(() =>
      lendBooks(db, other.holderNo, ['B11'], DAY + 40, AT, DEFAULT_RULES),
    ),
    { code: 'OVERDUE_HELD' },
  );

  // Returns: by the books, all or none, with their overdue days.
  await assert.rejects(returnBooks(db, ['B1', 'B11'], DAY + 16, AT), { code: 'BOOK_NOT_ON_LOAN' });
  assert.equal((await loansOf(db, h)).length, 10, 'B1 was not returned by the refused request');
  const back = await returnBooks(db, ['B1', 'B2'], DAY + 16, AT);
  assert.deepEqual(back, [
    { bookId: 'B1', holderNo: h, overdueDays: 2 },
    { bookId: 'B2', holderNo: h, overdueDays: 2 },
  ]);
  assert.equal((await loansOf(db, h)).length, 8);
  // B1 is back on the shelf: another holder may borrow it.
  await lendBooks(
    db,
    other.holderNo,
    ['B1'],
    DAY + 16,
    AT,
    libraryRules({ lendWhileOverdue: true }),
  );
  const v = await overview(db, DAY + 16);
  assert.deepEqual([v.holders, v.books, v.onLoan], [2, 12, 10]);

  // Two counters at once: one book to two holders, one new card registered twice.
  await addBook(db, 'C1', '同時');
  const race = await Promise.allSettled([
    lendBooks(db, h, ['C1'], DAY + 16, AT, libraryRules({ lendWhileOverdue: true, maxLoans: 20 })),
    lendBooks(db, other.holderNo, ['C1'], DAY + 16, AT, libraryRules({ lendWhileOverdue: true })),
  ]);
  assert.deepEqual(race.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(
    (
      (race.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as {
        code: string;
      }
    ).code,
    'BOOK_ON_LOAN',
  );
  const U4 = 'C1C2C3C4C5C6C7C8C9CACBCCCD';
  const twice = await Promise.allSettled([
    registerHolder(db, U4, { name: '鈴木 一郎', contact: '03-1111-2222' }),
    registerHolder(db, U4, { name: '鈴木 一郎', contact: '03-1111-2222' }),
  ]);
  assert.deepEqual(twice.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.match(
    (
      (twice.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as {
        code: string;
      }
    ).code,
    /^(ALREADY|POSSIBLY)_REGISTERED$/,
  );
  assert.equal((await overview(db, DAY + 16)).holders, 3);

  // The status feed: the library's AID only, the last seq winning; the cursor moves.
  assert.equal(await cardStatusOf(db, U2), undefined);
  const kept = await storeFeedPage(db, AID, {
    events: [
      { seq: 4, status: 'lost', cardAps: [{ aid: AID.toLowerCase(), userId: U2.toLowerCase() }] },
      { seq: 5, status: 'lost', cardAps: [{ aid: 'F04D594E4150000102', userId: U3 }] },
    ],
    next: 5,
  });
  assert.equal(kept, 1);
  assert.equal(await cardStatusOf(db, U2), 'lost');
  assert.equal(await cardStatusOf(db, U3), undefined, 'another card AP’s user ID is not ours');
  assert.equal(await feedCursor(db), 5);
  // The same page again keeps nothing twice; a later "active" wins.
  assert.equal(
    await storeFeedPage(db, AID, {
      events: [{ seq: 4, status: 'lost', cardAps: [{ aid: AID, userId: U2 }] }],
      next: 4,
    }),
    0,
  );
  assert.equal(await feedCursor(db), 5, 'the cursor never goes back');
  await storeFeedPage(db, AID, {
    events: [{ seq: 7, status: 'active', cardAps: [{ aid: AID, userId: U2 }] }],
    next: 7,
  });
  assert.equal(await cardStatusOf(db, U2), 'active');
}

storeTests('the store', [libraryMigrations], exercise);
