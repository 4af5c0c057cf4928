/**
 * The city's マイタク server (マイタクサーバー, seeds/004 (4)(5)): the terminals sync
 * their signed rides and take the status list here; the staff (市の職員) register
 * holders and terminals and settle per company on a server-rendered page, Japanese
 * first. Terminals authenticate by their records' signatures; the staff by their own
 * accounts (HTTP Basic): clerks register, the settlement staff settle.
 */
import type { FastifyInstance } from 'fastify';
import { appServer, esc, htmlPage } from '@myna-ap/app-kit';
import { staffAuth, type ScryptCost } from '@myna-ap/app-kit';
import type { Db } from '@myna-ap/db';
import { TaxiError } from './errors.ts';
import { TAXI_ROLES } from './staffRoles.ts';
import { recordFrom } from './ride.ts';
import { dayString, jstDayNumber, parseDay, type TaxiRules } from './rules.ts';
import { detailCsv, settle, summaryCsv, type Settlement } from './settlement.ts';
import {
  heldThrough,
  overview,
  pushRecords,
  registerHolder,
  registerTerminal,
  ridesToSettle,
  statusSince,
  terminalExists,
} from './store.ts';
import { pollFeed, type LoaderLink } from './feed.ts';

export interface TaxiServerOptions {
  readonly db: Db;
  readonly rules: TaxiRules;
  /** The scrypt cost of passwords set over HTTP (default: the kit's; tests: TEST_SCRYPT). */
  readonly passwordCost?: ScryptCost;
  /** The loading system, for the status feed (none: the feed is not read). */
  readonly loader?: LoaderLink;
  readonly now?: () => Date;
}

/** Records a terminal may send in one request (its batches are 500). */
const MAX_BATCH = 1000;

const yen = (n: number) => `${n.toLocaleString('ja-JP')}円`;

/** The period of a settlement: `from` and `to` as YYYY-MM-DD (default: last month). */
function periodOf(q: Record<string, unknown>, now: Date): { from: number; to: number } {
  if (q.from === undefined && q.to === undefined) {
    const today = new Date(jstDayNumber(now) * 86_400_000);
    const first = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1) / 86_400_000;
    const last = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1) / 86_400_000 - 1;
    return { from: first, to: last };
  }
  const from = typeof q.from === 'string' ? parseDay(q.from) : undefined;
  const to = typeof q.to === 'string' ? parseDay(q.to) : undefined;
  if (from === undefined || to === undefined || from > to || to - from > 400)
    throw new TaxiError('PERIOD_INVALID');
  return { from, to };
}

/** The settlement's figures line up on the right. */
const TAXI_CSS = 'td,th{text-align:right}th:first-child,td:first-child{text-align:left}';

const page = (title: string, body: string) => htmlPage(title, body, TAXI_CSS);

/** Who may use a staff route besides the administrator. */
const CLERK = { config: { staff: ['clerk'] } } as const;
const SETTLEMENT = { config: { staff: ['settlement'] } } as const;
const ANY_STAFF = { config: { staff: ['clerk', 'settlement'] } } as const;

export function buildTaxiServer(o: TaxiServerOptions): FastifyInstance {
  const now = o.now ?? (() => new Date());
  const app = appServer({
    errorTitle: 'マイタク — エラー',
    bodyLimit: 2 * 1024 * 1024,
    css: TAXI_CSS,
  });

  const staff = staffAuth(app, {
    db: o.db,
    app: 'taxi',
    roles: TAXI_ROLES,
    realm: 'maitaku',
    now,
    ...(o.passwordCost ? { cost: o.passwordCost } : {}),
  });

  // --- the terminals ---
  app.get<{ Params: { id: string } }>('/v1/terminals/:id/rides', async (req) => {
    if (!(await terminalExists(o.db, req.params.id))) throw new TaxiError('TERMINAL_UNKNOWN');
    return { heldThrough: await heldThrough(o.db, req.params.id) };
  });
  app.post<{ Params: { id: string }; Body: { terminalNow?: unknown; records?: unknown } }>(
    '/v1/terminals/:id/rides',
    async (req) => {
      const b = req.body ?? {};
      if (
        !Array.isArray(b.records) ||
        b.records.length > MAX_BATCH ||
        typeof b.terminalNow !== 'string'
      )
        throw new TaxiError('BAD_REQUEST', {
          en: `the body is {terminalNow, records: [≤ ${MAX_BATCH} signed records]}`,
          ja: `本文は {terminalNow, records: [署名付き乗車記録 ${MAX_BATCH}件以内]} です`,
        });
      const records = b.records.map(recordFrom);
      return pushRecords(o.db, req.params.id, b.terminalNow, records, now());
    },
  );
  app.get<{ Querystring: { since?: string } }>('/v1/status', async (req) => {
    const since = Number(req.query.since ?? 0);
    if (!Number.isSafeInteger(since) || since < 0) throw new TaxiError('BAD_REQUEST');
    return statusSince(o.db, since);
  });

  // --- the staff ---
  app.register(async (s) => {
    s.addHook('onRequest', staff.signIn);
    staff.accountRoutes(s);

    s.get('/', ANY_STAFF, async (_req, reply) => {
      const v = await overview(o.db);
      const rows = v.terminals
        .map(
          (t) =>
            `<tr><td>${esc(t.terminalId)}</td><td>${esc(t.company)}</td><td>${t.heldThrough}</td><td>${t.highest}</td><td>${t.highest > t.heldThrough ? '未同期の欠番あり / gap' : '—'}</td><td>${t.lastSkewMs === null ? '—' : Math.round(t.lastSkewMs / 1000) + ' 秒'}</td><td>${esc(t.lastSyncAt ?? '—')}</td></tr>`,
        )
        .join('');
      return reply.type('text/html; charset=utf-8').send(
        page(
          'マイタク 職員用',
          `<h1>マイタク 職員用ページ <span class="en">Maitaku — staff</span></h1>
<p>登録者 ${v.holders} 人 <span class="en">registered holders</span> ／ 状態情報の取得位置 ${v.feedNext} <span class="en">feed cursor</span> ／ 重複通番の不一致 ${v.conflicts} 件 <span class="en">conflicting records</span></p>
<h2>利用登録 <span class="en">Register a holder</span></h2>
<form method="post" action="/holders"><label>利用者ID（カードAP搭載時の user ID） <input name="userId" size="30" pattern="[0-9A-Fa-f]{26}" required></label> <button>登録</button></form>
<h2>端末 <span class="en">Terminals</span></h2>
<table><tr><th>端末ID</th><th>事業者</th><th>受信済み（連続）</th><th>最大通番</th><th>欠番</th><th>時計のずれ</th><th>最終同期</th></tr>${rows}</table>
<h2>精算 <span class="en">Settlement</span></h2>
<form method="get" action="/settlement"><label>開始 <input name="from" type="date" required></label> <label>終了 <input name="to" type="date" required></label> <button>表示</button></form>
<p><a href="/settlement">先月の精算</a> ／ <form method="post" action="/feed/poll" style="display:inline"><button>状態情報を今すぐ取得 <span class="en">poll the feed now</span></button></form></p>`,
        ),
      );
    });

    s.post<{ Body: { userId?: unknown } }>('/holders', CLERK, async (req, reply) => {
      const added = await registerHolder(o.db, String(req.body?.userId ?? ''));
      if ((req.headers['content-type'] ?? '').startsWith('application/json'))
        return reply.code(added ? 201 : 200).send({ registered: true, new: added });
      return reply.redirect('/', 303);
    });

    s.post<{ Body: { terminalId?: unknown; company?: unknown; publicKey?: unknown } }>(
      '/terminals',
      CLERK,
      async (req, reply) => {
        await registerTerminal(o.db, {
          terminalId: req.body?.terminalId,
          company: req.body?.company,
          publicKey: req.body?.publicKey,
        });
        return reply.code(201).send({ registered: true });
      },
    );

    s.post('/feed/poll', ANY_STAFF, async (req, reply) => {
      if (!o.loader)
        throw new TaxiError('LOADER_FEED_FAILED', {
          en: 'no loading system configured (MYNA_SERVER, TAXI_CLIENT_ID, TAXI_CLIENT_SECRET)',
          ja: 'カードAP搭載システムが設定されていません',
        });
      const kept = await pollFeed(o.db, o.loader);
      if ((req.headers.accept ?? '').includes('application/json')) return { kept };
      return reply.redirect('/', 303);
    });

    const settled = async (q: Record<string, unknown>): Promise<Settlement> => {
      const { from, to } = periodOf(q, now());
      return settle(await ridesToSettle(o.db, from, to, o.rules), from, to, o.rules);
    };

    s.get<{ Querystring: Record<string, string> }>(
      '/settlement',
      SETTLEMENT,
      async (req, reply) => {
        const st = await settled(req.query);
        const q = `from=${dayString(st.fromDay)}&to=${dayString(st.toDay)}`;
        const rows = st.companies
          .map(
            (c) =>
              `<tr><td>${esc(c.company)}</td><td>${c.rides}</td><td>${c.paidRides}</td><td>${yen(c.payableYen)}</td><td>${c.flaggedRides}</td><td>${yen(c.flaggedYen)}</td></tr>`,
          )
          .join('');
        return reply.type('text/html; charset=utf-8').send(
          page(
            'マイタク 精算',
            `<h1>精算 ${dayString(st.fromDay)} 〜 ${dayString(st.toDay)} <span class="en">Settlement</span></h1>
<table><tr><th>事業者</th><th>乗車</th><th>補助対象</th><th>支払額</th><th>要確認（上限超過など）</th><th>要確認の補助額</th></tr>${rows}</table>
<p>上限を超えた乗車・未登録者・市外のみの乗車は「要確認」として残し、支払額には含めません。<span class="en">Over-limit, unregistered and out-of-city rides are flagged, kept, and not in the payable sum.</span></p>
<p><a href="/settlement.csv?${q}">精算書CSV</a> ／ <a href="/settlement.csv?${q}&amp;detail=1">利用明細CSV</a> ／ <a href="/">戻る</a></p>`,
          ),
        );
      },
    );

    s.get<{ Querystring: Record<string, string> }>(
      '/settlement.csv',
      SETTLEMENT,
      async (req, reply) => {
        const st = await settled(req.query);
        const name = `maitaku-${dayString(st.fromDay)}-${dayString(st.toDay)}${req.query.detail ? '-detail' : ''}.csv`;
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`);
        return req.query.detail ? [...detailCsv(st)].join('') : summaryCsv(st);
      },
    );
  });

  return app;
}
