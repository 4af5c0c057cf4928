/**
 * The library's server (図書館システム): the counter's staff page, Japanese first,
 * server-rendered, and the same routes as JSON. The card is read at the counter's
 * reader by the server itself (`counter`), so a user ID comes only from a touch,
 * never from a form. Staff sign in with their own accounts (HTTP Basic; app-kit's staffAuth):
 * counter staff lend, return and register; the administrator also adds books and
 * manages the accounts and reads the audit.
 */
import type { FastifyInstance } from 'fastify';
import { appServer, esc, fromForm, htmlPage, said } from '@myna-ap/app-kit';
import { staffAuth, type ScryptCost } from '@myna-ap/app-kit';
import type { Db } from '@myna-ap/db';
import type { Text } from '@myna-ap/text';
import { touchCard, type CounterReader } from './counter.ts';
import { LibraryError } from './errors.ts';
import { LIBRARY_ROLES } from './staffRoles.ts';
import { pollFeed, type LoaderLink } from './feed.ts';
import { holderDetailsFrom } from './holder.ts';
import { dayString, jstDayNumber, overdueDays, type LibraryRules } from './rules.ts';
import {
  addBook,
  cardStatusOf,
  holderByCard,
  lendBooks,
  loansOf,
  overdueList,
  overview,
  registerHolder,
  returnBooks,
  type Loan,
} from './store.ts';

export interface LibraryServerOptions {
  readonly db: Db;
  readonly rules: LibraryRules;
  /** The scrypt cost of passwords set over HTTP (default: the kit's; tests: TEST_SCRYPT). */
  readonly passwordCost?: ScryptCost;
  /** The library's type C card AP (its AID comes with the approval in the loading system). */
  readonly aid: string;
  /** Opens the counter's reader with the holder's card on it. */
  readonly counter: CounterReader;
  /** The loading system, for the status feed (none: the feed is not read). */
  readonly loader?: LoaderLink;
  readonly now?: () => Date;
}

/** Books one request may name. */
const MAX_BOOKS = 100;

/** Book IDs as a JSON array, or a form's text (one a line, or separated by spaces or commas). */
function bookIdsFrom(input: unknown): string[] {
  const list =
    typeof input === 'string'
      ? input.split(/[\s,、]+/).filter((s) => s !== '')
      : Array.isArray(input) && input.every((x) => typeof x === 'string')
        ? (input as string[])
        : undefined;
  if (!list || list.length === 0 || list.length > MAX_BOOKS)
    throw new LibraryError('BAD_REQUEST', {
      en: `bookIds is a list of 1–${MAX_BOOKS} book IDs`,
      ja: `資料IDを1〜${MAX_BOOKS}件指定してください`,
    });
  return list;
}

function moveFromOf(input: unknown): number | undefined {
  if (input === undefined || input === null || input === '') return undefined;
  const n = typeof input === 'number' ? input : typeof input === 'string' ? Number(input) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new LibraryError('BAD_REQUEST', {
      en: 'moveFrom is a holder number',
      ja: '移行元は利用者番号で指定してください',
    });
  return n;
}

const loanRows = (loans: readonly Loan[], today: number) =>
  loans
    .map(
      (l) =>
        `<tr><td>${esc(l.bookId)}</td><td>${esc(l.title)}</td><td>${dayString(l.dueDay)}</td><td>${overdueDays(l.dueDay, today) > 0 ? `${overdueDays(l.dueDay, today)} 日延滞 <span class="en">overdue</span>` : '—'}</td></tr>`,
    )
    .join('');

const loanTable = (loans: readonly Loan[], today: number) =>
  `<table><tr><th>資料ID</th><th>書名</th><th>返却期限</th><th>延滞</th></tr>${loanRows(loans, today)}</table>`;

/** The counter staff's routes (the administrator may use every route; /books and the accounts are theirs alone). */
const COUNTER = { config: { staff: ['counter'] } } as const;

export function buildLibraryServer(o: LibraryServerOptions): FastifyInstance {
  const now = o.now ?? (() => new Date());
  const today = () => jstDayNumber(now());
  const app = appServer({ errorTitle: '図書館 — エラー' });

  const touch = () => touchCard(o.counter, o.aid, (_aid, userId) => cardStatusOf(o.db, userId));

  const staff = staffAuth(app, {
    db: o.db,
    app: 'library',
    roles: LIBRARY_ROLES,
    realm: 'library',
    now,
    ...(o.passwordCost ? { cost: o.passwordCost } : {}),
  });

  app.register(async (s) => {
    s.addHook('onRequest', staff.signIn);
    staff.accountRoutes(s);

    s.get('/', COUNTER, async (_req, reply) => {
      const v = await overview(o.db, today());
      return reply.type('text/html; charset=utf-8').send(
        htmlPage(
          '図書館 窓口',
          `<h1>図書館 窓口 <span class="en">Library counter</span></h1>
<p>利用者 ${v.holders} 人 ／ 資料 ${v.books} 点 ／ 貸出中 ${v.onLoan} 点 ／ <a href="/overdue">延滞 ${v.overdue} 点</a> ／ 状態情報の取得位置 ${v.feedNext} <span class="en">feed cursor</span></p>
<p>カードを読み取り機に置いてから操作してください。<span class="en">Put the card on the reader first.</span></p>
<h2>貸出 <span class="en">Lend</span></h2>
<form method="post" action="/loans"><label>資料ID（1行に1点） <textarea name="bookIds" rows="4" required></textarea></label> <button>カードを読んで貸出</button></form>
<h2>返却 <span class="en">Return</span>（カード不要 <span class="en">no card needed</span>）</h2>
<form method="post" action="/returns"><label>資料ID（1行に1点） <textarea name="bookIds" rows="4" required></textarea></label> <button>返却</button></form>
<h2>利用者の確認 <span class="en">Who is this card</span></h2>
<form method="post" action="/touch"><button>カードを読む</button></form>
<h2>利用登録 <span class="en">Register a holder</span></h2>
<form method="post" action="/holders"><p><label>氏名 <input name="name" required maxlength="100"></label> <label>連絡先（電話・メール） <input name="contact" required maxlength="100"></label></p>
<p><label>登録済みの方の新しいカード: 移行元の利用者番号 <span class="en">moving an existing holder to this card: holder no.</span> <input name="moveFrom" size="8" inputmode="numeric"></label></p><button>カードを読んで登録</button></form>
<h2>資料の登録 <span class="en">Add a book</span></h2>
<form method="post" action="/books"><label>資料ID <input name="bookId" required maxlength="32"></label> <label>書名 <input name="title" required maxlength="200"></label> <button>登録</button></form>
<form method="post" action="/feed/poll"><p><button>状態情報を今すぐ取得 <span class="en">poll the status feed now</span></button></p></form>`,
        ),
      );
    });

    s.post<{ Body: { name?: unknown; contact?: unknown; moveFrom?: unknown } }>(
      '/holders',
      COUNTER,
      async (req, reply) => {
        const b = req.body ?? {};
        // Checked before the touch: a form typo costs no read of the card.
        const details = holderDetailsFrom(b);
        const moveFrom = moveFromOf(b.moveFrom);
        const userId = await touch();
        const r = await registerHolder(
          o.db,
          userId,
          details,
          moveFrom === undefined ? {} : { moveFrom },
        );
        const text: Text = r.moved
          ? {
              ja: `利用者番号 ${r.holderNo} の登録をこのカードに移しました。以前のカードは使えなくなります。`,
              en: `holder ${r.holderNo} moved to this card; the previous card no longer works here`,
            }
          : {
              ja: `登録しました。利用者番号 ${r.holderNo}`,
              en: `registered: holder ${r.holderNo}`,
            };
        if (fromForm(req))
          return reply
            .code(201)
            .type('text/html; charset=utf-8')
            .send(htmlPage('図書館 — 利用登録', said(text, 'ok')));
        return reply.code(201).send({ holderNo: r.holderNo, moved: r.moved, userId });
      },
    );

    s.post('/touch', COUNTER, async (req, reply) => {
      const holder = await holderByCard(o.db, await touch());
      const loans = await loansOf(o.db, holder.holderNo);
      if (!fromForm(req)) return { holder, loans };
      return reply
        .type('text/html; charset=utf-8')
        .send(
          htmlPage(
            '図書館 — 利用者',
            `<h1>利用者番号 ${holder.holderNo}: ${esc(holder.name)}</h1><p>連絡先 ${esc(holder.contact)} ／ 貸出中 ${loans.length} 点（上限 ${o.rules.maxLoans} 点）</p>${loanTable(loans, today())}<p><a href="/">戻る</a></p>`,
          ),
        );
    });

    s.post<{ Body: { bookIds?: unknown } }>('/loans', COUNTER, async (req, reply) => {
      const ids = bookIdsFrom(req.body?.bookIds);
      const holder = await holderByCard(o.db, await touch());
      const at = now();
      const lent = await lendBooks(o.db, holder.holderNo, ids, jstDayNumber(at), at, o.rules);
      if (!fromForm(req)) return reply.code(201).send({ holderNo: holder.holderNo, lent });
      return reply
        .code(201)
        .type('text/html; charset=utf-8')
        .send(
          htmlPage(
            '図書館 — 貸出',
            `${said({ ja: `${holder.name} さんに ${lent.length} 点を貸し出しました。返却期限 ${dayString(lent[0]!.dueDay)}`, en: `lent ${lent.length} to holder ${holder.holderNo}` }, 'ok')}${loanTable(lent, today())}`,
          ),
        );
    });

    s.post<{ Body: { bookIds?: unknown } }>('/returns', COUNTER, async (req, reply) => {
      const at = now();
      const back = await returnBooks(o.db, bookIdsFrom(req.body?.bookIds), jstDayNumber(at), at);
      if (!fromForm(req)) return { returned: back };
      const late = back.filter((r) => r.overdueDays > 0);
      return reply.type('text/html; charset=utf-8').send(
        htmlPage(
          '図書館 — 返却',
          said(
            {
              ja: `${back.length} 点を返却しました。${late.length > 0 ? `うち延滞 ${late.map((r) => `${r.bookId}（${r.overdueDays} 日）`).join('、')}` : ''}`,
              en: `returned ${back.length}${late.length > 0 ? `, ${late.length} overdue` : ''}`,
            },
            'ok',
          ),
        ),
      );
    });

    s.post<{ Body: { bookId?: unknown; title?: unknown } }>('/books', async (req, reply) => {
      await addBook(o.db, req.body?.bookId, req.body?.title);
      if (!fromForm(req)) return reply.code(201).send({ added: true });
      return reply
        .code(201)
        .type('text/html; charset=utf-8')
        .send(
          htmlPage('図書館 — 資料', said({ ja: '資料を登録しました', en: 'book added' }, 'ok')),
        );
    });

    s.get('/overdue', COUNTER, async (req, reply) => {
      const list = await overdueList(o.db, today());
      if ((req.headers.accept ?? '').includes('application/json')) return { overdue: list };
      const rows = list
        .map(
          (l) =>
            `<tr><td>${l.holderNo}</td><td>${esc(l.name)}</td><td>${esc(l.contact)}</td><td>${esc(l.bookId)}</td><td>${esc(l.title)}</td><td>${dayString(l.dueDay)}</td><td>${l.overdueDays}</td></tr>`,
        )
        .join('');
      return reply.type('text/html; charset=utf-8').send(
        htmlPage(
          '図書館 — 延滞一覧',
          `<h1>延滞一覧 <span class="en">Overdue</span>（${dayString(today())}）</h1>
<table><tr><th>利用者番号</th><th>氏名</th><th>連絡先</th><th>資料ID</th><th>書名</th><th>返却期限</th><th>延滞日数</th></tr>${rows}</table><p><a href="/">戻る</a></p>`,
        ),
      );
    });

    s.post('/feed/poll', COUNTER, async (req, reply) => {
      if (!o.loader)
        throw new LibraryError('LOADER_FEED_FAILED', {
          en: 'no loading system configured (MYNA_SERVER, LIBRARY_CLIENT_ID, LIBRARY_CLIENT_SECRET)',
          ja: 'カードAP搭載システムが設定されていません',
        });
      const kept = await pollFeed(o.db, o.loader, o.aid);
      if (!fromForm(req)) return { kept };
      return reply.redirect('/', 303);
    });
  });

  return app;
}
