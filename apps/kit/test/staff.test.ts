/**
 * The kit's staff accounts on a real Fastify server over real HTTP and PGlite: who
 * may sign in, what each role may do, the lockout, the audit trail (append-only),
 * and the accounts command that makes the first administrator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '@myna-ap/db';
import { freshPglite } from '@myna-ap/db/testing';
import {
  appServer,
  defineRoles,
  LOCKOUT,
  runAccountsCommand,
  staffAccounts,
  staffAudit,
  staffAuth,
  staffMigrations,
  TEST_SCRYPT,
} from '../src/index.ts';
import { addTestAccounts, basic, httpAs, json, TEST_STAFF_PASSWORD } from './testing.ts';

const ROLES = defineRoles(
  {
    clerk: { ja: '窓口職員', en: 'clerk' },
    boss: { ja: '管理者', en: 'administrator' },
  },
  'boss',
);

interface Shop {
  readonly db: Db;
  readonly url: string;
  setNow(d: Date): void;
  close(): Promise<void>;
}

/** A server with a clerk's route, an administrator's route and the account routes. */
async function startShop(): Promise<Shop> {
  const db = await freshPglite([staffMigrations]);
  let now = new Date('2026-06-01T10:00:00+09:00');
  const app = appServer({ errorTitle: 'テスト — エラー' });
  const staff = staffAuth(app, {
    db,
    app: 'shop',
    roles: ROLES,
    realm: 'shop',
    now: () => now,
    cost: TEST_SCRYPT,
  });
  app.register(async (s) => {
    s.addHook('onRequest', staff.signIn);
    staff.accountRoutes(s);
    s.get('/', { config: { staff: ['clerk'] } }, async (req) => ({ who: req.staff }));
    s.post('/sales', { config: { staff: ['clerk'] } }, async () => ({ sold: true }));
    s.post('/prices', async () => ({ changed: true }));
  });
  await addTestAccounts(db, 'shop', ROLES, { boss: 'boss', clerk1: 'clerk' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    db,
    url,
    setNow: (d) => (now = d),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

async function withShop(fn: (s: Shop) => Promise<void>): Promise<void> {
  const s = await startShop();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

const as = (s: Shop, login: string, password = TEST_STAFF_PASSWORD) =>
  httpAs(s.url, basic(login, password));

test('sign-in: a named account with its password; none, unknown, wrong or empty are refused (401)', () =>
  withShop(async (s) => {
    const none = await fetch(`${s.url}/`);
    assert.equal((await json(none, 401)).code, 'STAFF_AUTH');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="shop"/);
    for (const [login, pw] of [
      ['nobody', TEST_STAFF_PASSWORD],
      ['clerk1', `${TEST_STAFF_PASSWORD}x`],
      ['', TEST_STAFF_PASSWORD],
    ] as const) {
      const body = await json(await as(s, login, pw).json('GET', '/'), 401);
      assert.equal(body.code, 'STAFF_AUTH');
      const m = body.message as { en: string; ja: string };
      assert.ok(m.en.length > 0 && m.ja.length > 0);
    }
    assert.deepEqual((await json(await as(s, 'clerk1').json('GET', '/'), 200)).who, {
      login: 'clerk1',
      role: 'clerk',
    });
    // Refusals are audited by the name tried, never with the password.
    const audit = await staffAudit(s.db, 'shop');
    assert.ok(audit.some((a) => a.actor === 'nobody' && a.outcome === 'refused:unknown'));
    assert.ok(audit.some((a) => a.actor === 'clerk1' && a.outcome === 'refused:wrong-password'));
    assert.doesNotMatch(JSON.stringify(audit), /staff password/);
  }));

test('roles: a clerk is refused the administrator’s routes (403, both languages, audited); the administrator may all', () =>
  withShop(async (s) => {
    const clerk = as(s, 'clerk1');
    assert.equal((await json(await clerk.json('POST', '/sales', {}), 200)).sold, true);
    for (const [method, path] of [
      ['POST', '/prices'],
      ['GET', '/accounts'],
      ['GET', '/audit'],
      ['POST', '/accounts'],
    ] as const) {
      const body = await json(
        await clerk.json(method, path, method === 'POST' ? {} : undefined),
        403,
      );
      assert.equal(body.code, 'STAFF_ROLE');
      assert.deepEqual(body.message, {
        en: 'your role (clerk) may not do this: administrator may',
        ja: 'この操作は管理者が行います（あなたの役割: 窓口職員）',
      });
    }
    // A form gets the refusal as a page, Japanese first.
    const page = await clerk.form('/prices', { price: '1' });
    assert.equal(page.status, 403);
    assert.match(await page.text(), /この操作は管理者が行います[\s\S]*administrator may/);

    const boss = as(s, 'boss');
    assert.equal((await json(await boss.json('POST', '/prices', {}), 200)).changed, true);
    assert.equal((await json(await boss.json('POST', '/sales', {}), 200)).sold, true);

    const audit = await staffAudit(s.db, 'shop');
    const refusals = audit.filter((a) => a.outcome === 'refused:role');
    assert.equal(refusals.length, 5);
    assert.ok(refusals.every((a) => a.actor === 'clerk1'));
    assert.ok(refusals.some((a) => a.action === 'POST /prices'));
    // Every change is a row, the clerk's and the administrator's; a GET is not.
    const done = audit.filter((a) => a.outcome === 'done').map((a) => `${a.actor} ${a.action}`);
    assert.deepEqual(done.sort(), ['boss POST /prices', 'boss POST /sales', 'clerk1 POST /sales']);
  }));

test('lockout: five wrong passwords lock the account, even with the right one next; it lifts after 15 minutes or by unlock', () =>
  withShop(async (s) => {
    for (let i = 1; i < LOCKOUT.failures; i++)
      assert.equal(
        (await json(await as(s, 'clerk1', 'wrong').json('GET', '/'), 401)).code,
        'STAFF_AUTH',
      );
    // The fifth locks it.
    assert.equal(
      (await json(await as(s, 'clerk1', 'wrong').json('GET', '/'), 423)).code,
      'STAFF_LOCKED',
    );
    assert.equal((await json(await as(s, 'clerk1').json('GET', '/'), 423)).code, 'STAFF_LOCKED');
    // Another account is not touched.
    assert.equal((await as(s, 'boss').json('GET', '/')).status, 200);

    s.setNow(new Date('2026-06-01T10:16:00+09:00'));
    assert.equal((await as(s, 'clerk1').json('GET', '/')).status, 200);
    // The right password cleared the count: four wrong ones do not lock again.
    for (let i = 1; i < LOCKOUT.failures; i++)
      await json(await as(s, 'clerk1', 'wrong').json('GET', '/'), 401);
    assert.equal((await as(s, 'clerk1').json('GET', '/')).status, 200);

    for (let i = 0; i < LOCKOUT.failures; i++) await as(s, 'clerk1', 'wrong').json('GET', '/');
    assert.equal((await as(s, 'clerk1').json('GET', '/')).status, 423);
    await json(await as(s, 'boss').json('POST', '/accounts/clerk1/unlock'), 200);
    assert.equal((await as(s, 'clerk1').json('GET', '/')).status, 200);
    const audit = await staffAudit(s.db, 'shop');
    assert.ok(audit.some((a) => a.outcome === 'refused:wrong-password:locked'));
    assert.ok(audit.some((a) => a.outcome === 'refused:locked'));
    assert.ok(
      audit.some(
        (a) =>
          a.actor === 'boss' &&
          a.action === 'POST /accounts/:login/unlock' &&
          a.detail.login === 'clerk1',
      ),
    );
  }));

test('accounts over HTTP: the administrator adds and disables; bad input, a taken name, the last administrator refused', () =>
  withShop(async (s) => {
    const boss = as(s, 'boss');
    for (const bad of [
      { login: 'new', role: 'clerk', password: 'short' },
      { login: 'new', role: 'owner', password: TEST_STAFF_PASSWORD },
      { login: 'no spaces', role: 'clerk', password: TEST_STAFF_PASSWORD },
      { role: 'clerk', password: TEST_STAFF_PASSWORD },
    ]) {
      const body = await json(await boss.json('POST', '/accounts', bad), 400);
      assert.equal(body.code, 'STAFF_ACCOUNT_INVALID');
      assert.match((body.message as { ja: string }).ja, /窓口職員|clerk/);
    }
    const added = await json(
      await boss.json('POST', '/accounts', {
        login: 'clerk2',
        role: 'clerk',
        password: 'another long password',
      }),
      201,
    );
    assert.deepEqual([added.login, added.role, added.disabled], ['clerk2', 'clerk', false]);
    assert.equal(JSON.stringify(added).includes('password'), false);
    assert.equal(
      (
        await json(
          await boss.json('POST', '/accounts', {
            login: 'clerk2',
            role: 'boss',
            password: TEST_STAFF_PASSWORD,
          }),
          409,
        )
      ).code,
      'STAFF_ACCOUNT_EXISTS',
    );
    assert.equal((await as(s, 'clerk2', 'another long password').json('GET', '/')).status, 200);
    await json(await boss.json('POST', '/accounts/clerk2/disable'), 200);
    assert.equal((await as(s, 'clerk2', 'another long password').json('GET', '/')).status, 401);
    assert.equal(
      (await json(await boss.json('POST', '/accounts/ghost/disable'), 404)).code,
      'STAFF_ACCOUNT_UNKNOWN',
    );
    assert.equal(
      (await json(await boss.json('POST', '/accounts/boss/disable'), 409)).code,
      'STAFF_LAST_ADMIN',
    );
    assert.equal((await as(s, 'boss').json('GET', '/')).status, 200);
    // The audit says who added whom and what was refused, never the password.
    const audit = (await json(await boss.json('GET', '/audit?limit=50'), 200)).audit as {
      actor: string;
      action: string;
      outcome: string;
      detail: Record<string, unknown>;
    }[];
    assert.ok(
      audit.some(
        (a) => a.action === 'POST /accounts' && a.outcome === 'done' && a.detail.login === 'clerk2',
      ),
    );
    assert.ok(audit.some((a) => a.action === 'POST /accounts' && a.outcome === 'refused:409'));
    assert.doesNotMatch(JSON.stringify(audit), /long password|staff password/);
    assert.equal((await json(await boss.json('GET', '/audit?limit=0'), 400)).code, 'BAD_REQUEST');
  }));

test('the audit trail is append-only: the database refuses an UPDATE or a DELETE', () =>
  withShop(async (s) => {
    await as(s, 'nobody').json('GET', '/');
    await assert.rejects(s.db.query("UPDATE app_staff_audit SET actor = 'someone'"), /append-only/);
    await assert.rejects(s.db.query('DELETE FROM app_staff_audit'), /append-only/);
    assert.equal((await staffAudit(s.db, 'shop'))[0]!.actor, 'nobody');
  }));

test('the accounts command: the first administrator from stdin or the environment; refusals in both languages', async () => {
  const db = await freshPglite([staffMigrations]);
  const kept = new Proxy(db, {
    get: (t, k) => {
      if (k === 'close') return async () => {};
      const v: unknown = Reflect.get(t, k, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  const lines: string[] = [];
  const run = (argv: string[], o: { env?: Record<string, string>; stdin?: string } = {}) =>
    runAccountsCommand({
      app: 'shop',
      roles: ROLES,
      argv,
      // The command closes what it opens; the test's database stays open for the next.
      openDb: async () => kept,
      env: o.env ?? {},
      stdin: async () => o.stdin ?? '',
      out: (l) => lines.push(l),
      cost: TEST_SCRYPT,
    });
  try {
    assert.equal(
      await run(['add', 'first', 'boss'], { stdin: `${TEST_STAFF_PASSWORD}\nignored\n` }),
      0,
    );
    assert.match(
      lines.join('\n'),
      /職員アカウント first（管理者）を追加しました[\s\S]*staff account first \(administrator\) added/,
    );
    assert.equal(
      await run(['add', 'second', 'clerk'], {
        env: { STAFF_ACCOUNT_PASSWORD: 'from the environment' },
      }),
      0,
    );
    lines.length = 0;
    assert.equal(await run(['add', 'third', 'clerk'], { stdin: 'short' }), 2);
    assert.match(lines.join('\n'), /12文字以上[\s\S]*12 characters or more/);
    lines.length = 0;
    assert.equal(await run(['add', 'first', 'clerk'], { stdin: TEST_STAFF_PASSWORD }), 2);
    assert.match(lines.join('\n'), /使用されています[\s\S]*already used/);
    lines.length = 0;
    assert.equal(await run(['delete', 'first']), 2);
    assert.equal(await run(['unlock']), 2);
    assert.match(lines.join('\n'), /使い方[\s\S]*usage/);
    lines.length = 0;
    assert.equal(await run(['list']), 0);
    assert.deepEqual(lines, ['first\tboss', 'second\tclerk']);
    assert.equal(await run(['unlock', 'ghost']), 2);
    assert.equal(await run(['unlock', 'second']), 0);

    const accounts = await staffAccounts(db, 'shop');
    assert.deepEqual(
      accounts.map((a) => a.login),
      ['first', 'second'],
    );
    const audit = await staffAudit(db, 'shop');
    assert.deepEqual(
      audit.map((a) => `${a.actor} ${a.action} ${String(a.detail.login)}`).reverse(),
      [
        'console accounts add first',
        'console accounts add second',
        'console accounts unlock second',
      ],
    );
    // Another app in the same database sees none of them.
    assert.deepEqual(await staffAccounts(db, 'other'), []);
  } finally {
    await db.close();
  }
});
