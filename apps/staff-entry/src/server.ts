/**
 * The staff entry server (入退室管理システム): the administrator's page, Japanese
 * first, server-rendered, with the same routes as JSON (named staff accounts over
 * HTTP Basic: guards read the log, the personnel administrator changes things);
 * and the door terminals' two routes (Bearer token per terminal): `GET /door`, and
 * `POST /entries` with what the terminal read — user IDs, never a PIN. Every touch
 * is decided and logged here, opened or refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerPage, appServer, esc, fromForm, htmlPage } from '@myna-ap/app-kit';
import { staffAuth, type ScryptCost } from '@myna-ap/app-kit';
import type { Db } from '@myna-ap/db';
import type { Text } from '@myna-ap/text';
import { STAFF_ERRORS, StaffError } from './errors.ts';
import { STAFF_ROLES } from './staffRoles.ts';
import { pollFeed, type LoaderLink } from './feed.ts';
import { describePermission, permissionFrom } from './rules.ts';
import {
  addDoor,
  addStaff,
  addTerminal,
  doorFrom,
  doorList,
  entries,
  feedCursor,
  grant,
  recordEntry,
  staffInputFrom,
  staffList,
  terminalByToken,
  userIdFrom,
  verifyLog,
  type DoorReport,
} from './store.ts';

export interface StaffServerOptions {
  readonly db: Db;
  /** The scrypt cost of passwords set over HTTP (default: the kit's; tests: TEST_SCRYPT). */
  readonly passwordCost?: ScryptCost;
  /** The staff card's two type D card APs (touch, PIN): the feed is kept for these. */
  readonly aids: readonly string[];
  /** The loading system, for the status feed (none: the feed is not read). */
  readonly loader?: LoaderLink;
  readonly now?: () => Date;
}

/** A door terminal's report, checked: user IDs, and a PIN refusal with its tries left. */
function reportFrom(b: Record<string, unknown>): DoorReport {
  const touchUserId = userIdFrom(b.touchUserId);
  const pinUserId = b.pinUserId === undefined ? undefined : userIdFrom(b.pinUserId);
  const f = b.pinFailure as { code?: unknown; triesLeft?: unknown } | undefined;
  if (f !== undefined) {
    const ok =
      typeof f === 'object' &&
      f !== null &&
      (f.code === 'PIN_WRONG' || f.code === 'PIN_LOCKED') &&
      Number.isInteger(f.triesLeft) &&
      (f.triesLeft as number) >= 0 &&
      (f.triesLeft as number) < 100 &&
      pinUserId === undefined;
    if (!ok)
      throw new StaffError('BAD_REQUEST', {
        en: 'pinFailure is {code: PIN_WRONG or PIN_LOCKED, triesLeft}, without pinUserId',
        ja: 'pinFailure は {code: PIN_WRONG または PIN_LOCKED, triesLeft} で、pinUserId とは同時に送れません',
      });
    return {
      touchUserId,
      pinFailure: { code: f.code as 'PIN_WRONG' | 'PIN_LOCKED', triesLeft: f.triesLeft as number },
    };
  }
  return { touchUserId, pinUserId };
}

/** The door's message for an outcome: PIN_WRONG says the tries left. */
function entryText(code: string, name: string, triesLeft: number | undefined): Text {
  if (code === 'OPENED') return { ja: `${name} さん、どうぞ`, en: `welcome, ${name}` };
  const t = STAFF_ERRORS[code as keyof typeof STAFF_ERRORS];
  if (code === 'PIN_WRONG' && triesLeft !== undefined)
    return { ja: `${t.ja}（残り ${triesLeft} 回）`, en: `${t.en} (${triesLeft} tries left)` };
  return { ja: t.ja, en: t.en };
}

/** The guards' routes (the personnel administrator may use every route). */
const GUARD = { config: { staff: ['guard'] } } as const;

export function buildStaffServer(o: StaffServerOptions): FastifyInstance {
  const now = o.now ?? (() => new Date());
  const app = appServer({ errorTitle: '入退室管理 — エラー' });

  // --- the door terminals ---
  app.register(async (s) => {
    const terminalOf = async (req: FastifyRequest) => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      if (!m) throw new StaffError('TERMINAL_AUTH');
      return terminalByToken(o.db, m[1]!);
    };
    s.get('/door', async (req) => {
      const t = await terminalOf(req);
      return { doorId: t.doorId, name: t.name, level: t.level };
    });
    s.post<{ Body: Record<string, unknown> }>('/entries', async (req, reply) => {
      const t = await terminalOf(req);
      const b = req.body;
      if (typeof b !== 'object' || b === null) throw new StaffError('BAD_REQUEST');
      const report = reportFrom(b);
      const out = await recordEntry(o.db, t, report, now());
      const triesLeft = report.pinFailure?.triesLeft;
      return reply.code(out.opened ? 200 : 403).send({
        opened: out.opened,
        code: out.code,
        message: entryText(out.code, out.name, triesLeft),
        seq: out.seq,
        ...(out.staffNo ? { staffNo: out.staffNo, name: out.name } : {}),
        ...(triesLeft !== undefined ? { triesLeft } : {}),
      });
    });
  });

  // --- the staff: guards read the log; the personnel administrator changes things ---
  const staff = staffAuth(app, {
    db: o.db,
    app: 'staff-entry',
    roles: STAFF_ROLES,
    realm: 'staff-entry',
    now,
    ...(o.passwordCost ? { cost: o.passwordCost } : {}),
  });
  app.register(async (s) => {
    s.addHook('onRequest', staff.signIn);
    staff.accountRoutes(s);

    const done = (
      req: FastifyRequest,
      reply: FastifyReply,
      status: number,
      json: unknown,
      text: Text,
    ) => answerPage(req, reply, { status, title: '入退室管理', text, json, ok: true });

    s.get('/', GUARD, async (_req, reply) => {
      const staff = await staffList(o.db);
      const doors = await doorList(o.db);
      const v = await verifyLog(o.db);
      const recent = (await entries(o.db)).slice(-20).reverse();
      const staffRows = staff
        .map(
          (m) =>
            `<tr><td>${esc(m.staffNo)}</td><td>${esc(m.name)}</td><td>${m.permissions.map((p) => `${esc(p.doorId)} ${esc(describePermission(p))}`).join('<br>')}</td></tr>`,
        )
        .join('');
      const doorRows = doors
        .map(
          (d) =>
            `<tr><td>${esc(d.doorId)}</td><td>${esc(d.name)}</td><td>${d.level === 'secure' ? 'セキュリティ区画（PIN）' : '一般（タッチ）'}</td></tr>`,
        )
        .join('');
      const logRows = recent
        .map(
          (r) =>
            `<tr><td>${r.seq}</td><td>${esc(r.at)}</td><td>${esc(r.doorId)}</td><td>${esc(r.staffNo || '—')}</td><td>${r.opened ? '入室' : '拒否'}</td><td>${esc(r.code)}</td></tr>`,
        )
        .join('');
      return reply.type('text/html; charset=utf-8').send(
        htmlPage(
          '入退室管理',
          `<h1>入退室管理 <span class="en">Staff entry</span></h1>
<p>記録の検証 <span class="en">log check</span>: ${v.ok ? `改ざんなし（${v.rows} 件） <span class="en">intact</span>` : `<strong>改ざんを検出 seq ${v.seq}: ${esc(v.problem)}</strong>`} ／ 状態情報の取得位置 ${await feedCursor(o.db)}</p>
<h2>職員 <span class="en">Staff</span></h2><table><tr><th>職員番号</th><th>氏名</th><th>入室権限</th></tr>${staffRows}</table>
<h2>扉 <span class="en">Doors</span></h2><table><tr><th>扉ID</th><th>名称</th><th>区分</th></tr>${doorRows}</table>
<h2>職員登録 <span class="en">Register a staff member</span></h2>
<form method="post" action="/staff"><label>職員番号 <input name="staffNo" required maxlength="16"></label> <label>氏名 <input name="name" required maxlength="100"></label><br>
<label>タッチ用カードAPの利用者ID <input name="touchUserId" required size="30"></label> <label>PIN用カードAPの利用者ID <input name="pinUserId" required size="30"></label> <button>登録</button></form>
<h2>扉の登録 <span class="en">Add a door</span></h2>
<form method="post" action="/doors"><label>扉ID <input name="doorId" required maxlength="32"></label> <label>名称 <input name="name" required></label> <label>区分 <select name="level"><option value="low">一般（タッチ）</option><option value="secure">セキュリティ区画（PIN）</option></select></label> <button>登録</button></form>
<h2>入室権限の付与 <span class="en">Grant a permission</span></h2>
<form method="post" action="/permissions"><label>職員番号 <input name="staffNo" required></label> <label>扉ID <input name="doorId" required></label> <label>曜日（0=日〜6=土、カンマ区切り） <input name="days" value="1,2,3,4,5"></label> <label>から <input name="from" value="08:00" size="5"></label> <label>まで <input name="to" value="20:00" size="5"></label> <button>付与</button></form>
<h2>扉の端末 <span class="en">Add a door terminal</span></h2>
<form method="post" action="/terminals"><label>端末ID <input name="terminalId" required></label> <label>扉ID <input name="doorId" required></label> <button>登録してトークンを表示</button></form>
<form method="post" action="/feed/poll"><p><button>状態情報を今すぐ取得 <span class="en">poll the status feed now</span></button></p></form>
<h2>入退室記録（最新20件） <span class="en">Entry log</span> — <a href="/log">全件</a></h2><table><tr><th>seq</th><th>日時 (UTC)</th><th>扉</th><th>職員番号</th><th>結果</th><th>コード</th></tr>${logRows}</table>`,
        ),
      );
    });

    s.post<{ Body: Record<string, unknown> }>('/staff', async (req, reply) => {
      const input = staffInputFrom(req.body ?? {});
      await addStaff(o.db, input);
      return done(
        req,
        reply,
        201,
        { staffNo: input.staffNo },
        {
          ja: `職員番号 ${input.staffNo} を登録しました`,
          en: `staff ${input.staffNo} registered`,
        },
      );
    });

    s.post<{ Body: Record<string, unknown> }>('/doors', async (req, reply) => {
      const d = doorFrom(req.body ?? {});
      await addDoor(o.db, d);
      return done(req, reply, 201, d, {
        ja: `扉 ${d.doorId} を登録しました`,
        en: `door ${d.doorId} added`,
      });
    });

    s.post<{ Body: Record<string, unknown> }>('/permissions', async (req, reply) => {
      const b = req.body ?? {};
      const p = permissionFrom(b);
      const staffNo = typeof b.staffNo === 'string' ? b.staffNo.trim() : '';
      await grant(o.db, staffNo, p);
      return done(
        req,
        reply,
        201,
        { staffNo, ...p },
        {
          ja: `職員番号 ${staffNo} に ${p.doorId}（${describePermission(p)}）の入室権限を付与しました`,
          en: `granted ${p.doorId} to ${staffNo}`,
        },
      );
    });

    s.post<{ Body: Record<string, unknown> }>('/terminals', async (req, reply) => {
      const b = req.body ?? {};
      const t = await addTerminal(
        o.db,
        String(b.terminalId ?? '').trim(),
        String(b.doorId ?? '').trim(),
      );
      return done(req, reply, 201, t, {
        ja: `端末 ${t.terminalId} のトークン（一度だけ表示します）: ${t.token}`,
        en: `terminal ${t.terminalId}'s token (shown once): ${t.token}`,
      });
    });

    s.get('/log', GUARD, async (req, reply) => {
      const rows = await entries(o.db);
      const verdict = await verifyLog(o.db);
      if ((req.headers.accept ?? '').includes('application/json'))
        return { verdict, entries: rows };
      return reply.type('text/html; charset=utf-8').send(
        htmlPage(
          '入退室記録',
          `<h1>入退室記録 <span class="en">Entry log</span></h1><p>${verdict.ok ? '改ざんなし' : `改ざんを検出 seq ${verdict.seq}: ${esc(verdict.problem)}`}</p>
<table><tr><th>seq</th><th>日時</th><th>扉</th><th>職員番号</th><th>結果</th><th>コード</th><th>hash</th></tr>${rows
            .map(
              (r) =>
                `<tr><td>${r.seq}</td><td>${esc(r.at)}</td><td>${esc(r.doorId)}</td><td>${esc(r.staffNo || '—')}</td><td>${r.opened ? '入室' : '拒否'}</td><td>${esc(r.code)}</td><td><code>${r.hash.slice(0, 16)}…</code></td></tr>`,
            )
            .join('')}</table><p><a href="/">戻る</a></p>`,
        ),
      );
    });

    s.get('/log/verify', GUARD, async () => verifyLog(o.db));

    s.post('/feed/poll', GUARD, async (req, reply) => {
      if (!o.loader)
        throw new StaffError('LOADER_FEED_FAILED', {
          en: 'no loading system configured (MYNA_SERVER, STAFF_CLIENT_ID, STAFF_CLIENT_SECRET)',
          ja: 'カードAP搭載システムが設定されていません',
        });
      const kept = await pollFeed(o.db, o.loader, o.aids);
      if (!fromForm(req)) return { kept };
      return reply.redirect('/', 303);
    });
  });

  return app;
}
