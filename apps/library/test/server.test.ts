/**
 * The library's server over HTTP with an emulated card on the counter's reader: the
 * staff password, registration by a touch (once; a form typo costs no read), lending
 * and returning, the limit, the overdue list, a lost card refused with the counter's
 * message, and bad input answered in both languages with nothing lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cardWithCardAps,
  freshCard,
  TEST_CARD_AP_AID,
  TEST_USER_ID,
} from '@myna-ap/access/testing';
import { libraryRules } from '../src/rules.ts';
import { storeFeedPage } from '../src/store.ts';
import { AUTH, startLibrary, STAFF_PASSWORD, type Library } from './world.ts';

const AID = TEST_CARD_AP_AID.C;
const YAMADA = { name: '山田 <b>太郎</b>', contact: '090-1234-5678' };

async function refused(
  r: Response,
  status: number,
  code: string,
): Promise<{ ja: string; en: string }> {
  const body = (await r.json()) as { code: string; message: { ja: string; en: string } };
  assert.equal(r.status, status, JSON.stringify(body));
  assert.equal(body.code, code);
  assert.ok(body.message.ja.length > 0 && body.message.en.length > 0);
  return body.message;
}

async function withLibrary(
  fn: (lib: Library) => Promise<void>,
  rules = libraryRules({ maxLoans: 3 }),
): Promise<void> {
  const lib = await startLibrary({ aid: AID, rules });
  try {
    await fn(lib);
  } finally {
    await lib.close();
  }
}

test('the staff pages need the staff password; the health check does not', () =>
  withLibrary(async (lib) => {
    assert.equal((await fetch(`${lib.url}/healthz`)).status, 200);
    const none = await fetch(`${lib.url}/`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="library"/);
    const wrong = `Basic ${Buffer.from(`staff:${STAFF_PASSWORD}x`).toString('base64')}`;
    assert.equal((await fetch(`${lib.url}/`, { headers: { authorization: wrong } })).status, 401);
    const other = `Basic ${Buffer.from(`admin:${STAFF_PASSWORD}`).toString('base64')}`;
    await refused(
      await fetch(`${lib.url}/loans`, { method: 'POST', headers: { authorization: other } }),
      401,
      'STAFF_AUTH',
    );
    assert.equal(lib.slot.reads, 0);
    const page = await lib.staff('GET', '/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /図書館 窓口/);
  }));

test('register by a touch: once per card, told the second time; bad details cost no read', () =>
  withLibrary(async (lib) => {
    const { card } = await cardWithCardAps();
    // Nothing on the reader yet: a missing name is refused before the card is read.
    await refused(await lib.staff('POST', '/holders', { contact: '090' }), 400, 'HOLDER_INVALID');
    assert.equal(lib.slot.reads, 0);
    await refused(await lib.staff('POST', '/holders', YAMADA), 503, 'CARD_READ_FAILED');
    await refused(
      await lib.staff('POST', '/holders', { ...YAMADA, moveFrom: 'one' }),
      400,
      'BAD_REQUEST',
    );
    // A My Number Card without the library's card AP.
    lib.slot.put(await freshCard());
    await refused(await lib.staff('POST', '/holders', YAMADA), 404, 'CARD_AP_MISSING');
    lib.slot.put(card);
    const r = await lib.staff('POST', '/holders', YAMADA);
    assert.equal(r.status, 201);
    const made = (await r.json()) as { holderNo: number; moved: boolean; userId: string };
    assert.deepEqual(made, { holderNo: made.holderNo, moved: false, userId: TEST_USER_ID });
    const again = await refused(
      await lib.staff('POST', '/holders', YAMADA),
      409,
      'ALREADY_REGISTERED',
    );
    assert.match(again.ja, new RegExp(`利用者番号 ${made.holderNo}`));
    // The form: a page, Japanese first, the name escaped.
    const page = await lib.form('/holders', YAMADA);
    assert.equal(page.status, 409);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /このカードは登録済みです/);
    const who = await lib.form('/touch', {});
    const html = await who.text();
    assert.match(html, /山田 &lt;b&gt;太郎&lt;\/b&gt;/);
    assert.ok(!html.includes('<b>太郎'));
  }));

test('lend and return by a touch: the limit, the due day, the overdue list, a return with its delay', () =>
  withLibrary(async (lib) => {
    const { card } = await cardWithCardAps();
    lib.slot.put(card);
    assert.equal((await lib.staff('POST', '/holders', YAMADA)).status, 201);
    for (const [bookId, title] of [
      ['B1', '吾輩は猫である'],
      ['B2', '坊っちゃん'],
      ['B3', 'こころ'],
      ['B4', '三四郎'],
    ])
      assert.equal((await lib.staff('POST', '/books', { bookId, title })).status, 201);
    await refused(
      await lib.staff('POST', '/books', { bookId: 'B1', title: 'x' }),
      409,
      'BOOK_EXISTS',
    );
    await refused(
      await lib.staff('POST', '/books', { bookId: 'B 5', title: 'x' }),
      400,
      'BOOK_INVALID',
    );

    await refused(await lib.staff('POST', '/loans', { bookIds: [] }), 400, 'BAD_REQUEST');
    await refused(await lib.staff('POST', '/loans', { bookIds: [1] }), 400, 'BAD_REQUEST');
    await refused(await lib.staff('POST', '/loans', { bookIds: ' , ' }), 400, 'BAD_REQUEST');
    const lent = await lib.staff('POST', '/loans', { bookIds: ['B1', 'B2'] });
    assert.equal(lent.status, 201);
    const l = (await lent.json()) as { lent: { bookId: string; dueDay: number }[] };
    assert.deepEqual(
      l.lent.map((x) => x.bookId),
      ['B1', 'B2'],
    );
    // Three at once: a third fits, a fourth does not — and the third is not lent by the refusal.
    const over = await refused(
      await lib.staff('POST', '/loans', { bookIds: ['B3', 'B4'] }),
      409,
      'LOAN_LIMIT',
    );
    assert.match(over.ja, /あと 1 冊/);
    // The form: one ID a line.
    const page = await lib.form('/loans', { bookIds: 'B3\r\n' });
    assert.equal(page.status, 201);
    const lentPage = await page.text();
    assert.match(lentPage, /1 点を貸し出しました。返却期限 2026-06-15/);
    // The name escaped once: neither markup nor a doubly escaped "&amp;lt;".
    assert.match(lentPage, /山田 &lt;b&gt;太郎&lt;\/b&gt; さんに/);
    const touch = (await (await lib.staff('POST', '/touch')).json()) as { loans: unknown[] };
    assert.equal(touch.loans.length, 3);

    // Sixteen days later: all three overdue, a day past the 15th's end.
    lib.setNow(new Date('2026-06-16T09:00:00+09:00'));
    const od = (await (await lib.staff('GET', '/overdue')).json()) as {
      overdue: { bookId: string; overdueDays: number; contact: string }[];
    };
    assert.deepEqual(
      od.overdue.map((x) => [x.bookId, x.overdueDays, x.contact]),
      [
        ['B1', 1, '090-1234-5678'],
        ['B2', 1, '090-1234-5678'],
        ['B3', 1, '090-1234-5678'],
      ],
    );
    const odPage = await (
      await fetch(`${lib.url}/overdue`, { headers: { authorization: AUTH } })
    ).text();
    assert.match(odPage, /延滞一覧/);
    assert.match(odPage, /坊っちゃん/);
    // Returning needs no card; one not on loan refuses the request, nothing returned.
    lib.slot.empty();
    await refused(
      await lib.staff('POST', '/returns', { bookIds: ['B1', 'B4'] }),
      409,
      'BOOK_NOT_ON_LOAN',
    );
    const back = (await (
      await lib.staff('POST', '/returns', { bookIds: ['B1', 'B2'] })
    ).json()) as {
      returned: { bookId: string; overdueDays: number }[];
    };
    assert.deepEqual(
      back.returned.map((x) => [x.bookId, x.overdueDays]),
      [
        ['B1', 1],
        ['B2', 1],
      ],
    );
    // B3 is still out and late: no new loan until it is back.
    lib.slot.put(card);
    await refused(await lib.staff('POST', '/loans', { bookIds: ['B1'] }), 409, 'OVERDUE_HELD');
    const ret = await lib.form('/returns', { bookIds: 'B3' });
    assert.match(await ret.text(), /うち延滞 B3（1 日）/);
    assert.equal((await lib.staff('POST', '/loans', { bookIds: ['B1'] })).status, 201);
  }));

test('a card the feed reports lost is refused at the counter with the counter’s message', () =>
  withLibrary(async (lib) => {
    const { card } = await cardWithCardAps();
    lib.slot.put(card);
    assert.equal((await lib.staff('POST', '/holders', YAMADA)).status, 201);
    await lib.staff('POST', '/books', { bookId: 'B1', title: 'こころ' });
    await storeFeedPage(lib.db, AID, {
      events: [{ seq: 3, status: 'lost', cardAps: [{ aid: AID, userId: TEST_USER_ID }] }],
      next: 3,
    });
    const m = await refused(
      await lib.staff('POST', '/loans', { bookIds: ['B1'] }),
      403,
      'CARD_LOST',
    );
    assert.match(m.ja, /紛失の届出/);
    await refused(await lib.staff('POST', '/touch'), 403, 'CARD_LOST');
    const page = await lib.form('/loans', { bookIds: 'B1' });
    assert.equal(page.status, 403);
    assert.match(await page.text(), /このカードは紛失の届出がされています/);
    // Suspended, then found again (active): the last seq wins.
    await storeFeedPage(lib.db, AID, {
      events: [{ seq: 4, status: 'suspended', cardAps: [{ aid: AID, userId: TEST_USER_ID }] }],
      next: 4,
    });
    await refused(await lib.staff('POST', '/loans', { bookIds: ['B1'] }), 403, 'CARD_SUSPENDED');
    await storeFeedPage(lib.db, AID, {
      events: [{ seq: 5, status: 'active', cardAps: [{ aid: AID, userId: TEST_USER_ID }] }],
      next: 5,
    });
    assert.equal((await lib.staff('POST', '/loans', { bookIds: ['B1'] })).status, 201);
  }));

test('bad requests: unknown pages, broken JSON, a feed with no loader — both languages', () =>
  withLibrary(async (lib) => {
    await refused(await lib.staff('GET', '/nope'), 404, 'NOT_FOUND');
    const broken = await fetch(`${lib.url}/loans`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: '{"bookIds":',
    });
    await refused(broken, 400, 'BAD_REQUEST');
    await refused(await lib.staff('POST', '/feed/poll'), 502, 'LOADER_FEED_FAILED');
    await refused(
      await lib.staff('POST', '/loans', {
        bookIds: Array.from({ length: 101 }, (_, i) => `B${i}`),
      }),
      400,
      'BAD_REQUEST',
    );
    assert.equal(lib.slot.reads, 0, 'no bad request read the card');
  }));
