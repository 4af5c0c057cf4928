/**
 * The console's browser session (http/consoleAuthMount.ts, http/consoleSession.ts,
 * the auth hook): what a stolen page, an unattended PC, a guesser, a reused link
 * and another provider's administrator may and may not do. The WebAuthn ceremony
 * itself runs in a real browser (packages/console/test/browser.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServer } from '../src/http/server.ts';
import { consoleAuthMount, oneTimeLogin } from '../src/http/consoleAuthMount.ts';
import { LoginLimiter } from '../src/http/loginLimiter.ts';
import { CONSOLE_IDLE_MS } from '../src/http/consoleSession.ts';
import { CSRF_HEADER, SESSION_COOKIE } from '../src/contract/console.ts';
import { authenticate, bootstrapPlatformAdmin, createOperator } from '../src/store/operators.ts';
import { setOperatorStatus } from '../src/store/operatorAdmin.ts';
import { listAudit, sequenceAllAudit } from '../src/store/audit.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import { freshPglite } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';
import type { Ctx } from '../src/store/context.ts';
import { ADMIN_PW, MAEBASHI_BODY, PW } from './helpers.ts';

const MIN = 60_000;

async function world(limits?: ConstructorParameters<typeof LoginLimiter>[0]) {
  let now = new Date('2026-06-01T10:00:00+09:00').getTime();
  const db = await freshPglite([loaderMigrations]);
  const ctx: Ctx = {
    db,
    config: TEST_CONFIG,
    keys: new MemoryKeyStore('test'),
    now: () => new Date(now),
  };
  await bootstrapPlatformAdmin(ctx, ADMIN_PW);
  const app = buildServer(ctx, { mounts: [consoleAuthMount(new LoginLimiter(limits))] });
  const call = async (
    method: 'GET' | 'POST',
    url: string,
    o: { body?: unknown; cookie?: string; csrf?: string; bearer?: string; ip?: string } = {},
  ) => {
    const r = await app.inject({
      method,
      url,
      remoteAddress: o.ip ?? '127.0.0.1',
      ...(o.body === undefined ? {} : { payload: o.body as object }),
      headers: {
        ...(o.cookie ? { cookie: `other=1; ${SESSION_COOKIE}=${o.cookie}` } : {}),
        ...(o.csrf ? { [CSRF_HEADER]: o.csrf } : {}),
        ...(o.bearer ? { authorization: `Bearer ${o.bearer}` } : {}),
      },
    });
    return {
      status: r.statusCode,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
      json: (r.body ? JSON.parse(r.body) : undefined) as any,
      setCookie: r.headers['set-cookie'] as string | undefined,
      retryAfter: r.headers['retry-after'],
    };
  };
  /** Logs in through the console's route; answers the cookie's token and the CSRF token. */
  const consoleLogin = async (login: string, password: string, ip?: string) => {
    const r = await call('POST', '/v1/console/login', {
      body: { login, password },
      ...(ip ? { ip } : {}),
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const m = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(r.setCookie ?? '');
    assert.ok(m, `a session cookie: ${r.setCookie}`);
    return { cookie: m[1]!, csrf: r.json.csrfToken as string, setCookie: r.setCookie! };
  };
  return {
    ctx,
    call,
    consoleLogin,
    advance(ms: number) {
      now += ms;
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

test('the session cookie is HttpOnly and SameSite=Strict, not Secure over plain HTTP', async () => {
  const w = await world();
  try {
    const { setCookie } = await w.consoleLogin('admin', ADMIN_PW);
    const attrs = setCookie.split(';').map((s) => s.trim());
    assert.ok(attrs.includes('HttpOnly'));
    assert.ok(attrs.includes('SameSite=Strict'));
    assert.ok(attrs.includes('Path=/'));
    assert.ok(!attrs.includes('Secure'), 'Secure only under TLS');
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    assert.ok(maxAge > 0, 'the cookie lives as long as the session');
  } finally {
    await w.close();
  }
});

test('a state change with the cookie needs the CSRF token; a read does not; a bearer token needs none', async () => {
  const w = await world();
  try {
    const s = await w.consoleLogin('admin', ADMIN_PW);
    assert.equal((await w.call('GET', '/v1/console/session', { cookie: s.cookie })).status, 200);

    const none = await w.call('POST', '/v1/console/logout', { cookie: s.cookie });
    assert.equal(none.status, 403);
    assert.equal(none.json.code, 'CSRF_REFUSED');
    const wrong = await w.call('POST', '/v1/console/logout', {
      cookie: s.cookie,
      csrf: s.csrf.slice(0, -1) + (s.csrf.endsWith('A') ? 'B' : 'A'),
    });
    assert.equal(wrong.json.code, 'CSRF_REFUSED', 'one character off');
    const short = await w.call('POST', '/v1/console/logout', { cookie: s.cookie, csrf: 'x' });
    assert.equal(short.json.code, 'CSRF_REFUSED', 'another length');
    // The session survived the refused attempts.
    assert.equal((await w.call('GET', '/v1/console/session', { cookie: s.cookie })).status, 200);

    // Another session's CSRF token does not fit this one.
    const other = await w.consoleLogin('admin', ADMIN_PW);
    const crossed = await w.call('POST', '/v1/console/logout', {
      cookie: s.cookie,
      csrf: other.csrf,
    });
    assert.equal(crossed.json.code, 'CSRF_REFUSED');

    // A bearer token (the CLI, a script) is not sent by a browser on its own: no CSRF token.
    assert.equal(
      (await w.call('GET', '/v1/console/session', { bearer: other.cookie })).status,
      200,
      'the session token as a bearer token',
    );

    const out = await w.call('POST', '/v1/console/logout', { cookie: s.cookie, csrf: s.csrf });
    assert.equal(out.status, 200, JSON.stringify(out.json));
    assert.match(out.setCookie ?? '', /Max-Age=0/, 'the cookie is cleared');
    const after = await w.call('GET', '/v1/console/session', { cookie: s.cookie });
    assert.equal(after.status, 401, 'logged out');
  } finally {
    await w.close();
  }
});

test('a console session ends after 15 minutes without a request, and a request keeps it alive', async () => {
  assert.equal(CONSOLE_IDLE_MS, 15 * MIN);
  const w = await world();
  try {
    const s = await w.consoleLogin('admin', ADMIN_PW);
    w.advance(14 * MIN);
    assert.equal((await w.call('GET', '/v1/console/session', { cookie: s.cookie })).status, 200);
    w.advance(14 * MIN);
    assert.equal(
      (await w.call('GET', '/v1/console/session', { cookie: s.cookie })).status,
      200,
      '28 minutes after login, 14 after the last request',
    );
    w.advance(15 * MIN + 1000);
    const idle = await w.call('GET', '/v1/console/session', { cookie: s.cookie });
    assert.equal(idle.status, 401);
    assert.equal(idle.json.code, 'UNAUTHENTICATED');
    // The CLI's bearer sessions (POST /v1/login) have no idle timeout.
    const cli = await w.call('POST', '/v1/login', { body: { login: 'admin', password: ADMIN_PW } });
    w.advance(60 * MIN);
    assert.equal(
      (await w.call('GET', '/v1/console/session', { bearer: cli.json.token })).status,
      200,
    );
  } finally {
    await w.close();
  }
});

test('login attempts are limited per account and per address, with Retry-After, and audited', async () => {
  const w = await world({
    account: { max: 3, windowMs: 5 * MIN },
    address: { max: 5, windowMs: 5 * MIN },
  });
  try {
    const attempt = (login: string, password: string, ip: string) =>
      w.call('POST', '/v1/console/login', { body: { login, password }, ip });
    for (let i = 0; i < 3; i++) {
      assert.equal((await attempt('admin', 'wrong', '10.0.0.1')).json.code, 'LOGIN_FAILED');
    }
    const limited = await attempt('admin', ADMIN_PW, '10.0.0.2');
    assert.equal(
      limited.status,
      429,
      'the account, from any address, even with the right password',
    );
    assert.equal(limited.json.code, 'LOGIN_RATE_LIMITED');
    assert.equal(limited.retryAfter, '300');
    assert.match(limited.json.message.ja, /5分/);

    // The address: 5 attempts on other accounts, then even a fresh account is refused there.
    for (const login of ['a1', 'a2']) {
      assert.equal((await attempt(login, 'x', '10.0.0.1')).json.code, 'LOGIN_FAILED');
    }
    assert.equal((await attempt('a3', 'x', '10.0.0.1')).json.code, 'LOGIN_RATE_LIMITED');
    assert.equal(
      (await attempt('a3', 'x', '10.0.0.3')).json.code,
      'LOGIN_FAILED',
      'another address is not limited by this one',
    );

    w.advance(5 * MIN);
    const again = await attempt('admin', ADMIN_PW, '10.0.0.2');
    assert.equal(again.status, 200, 'the window passed: ' + JSON.stringify(again.json));

    await sequenceAllAudit(w.ctx.db);
    const rows = (await listAudit(w.ctx.db, { limit: 1000 })).filter(
      (r) => r.action === 'login.rate_limited',
    );
    assert.ok(rows.length >= 2, 'each refusal is in the audit log');
    assert.ok(!JSON.stringify(rows).includes(ADMIN_PW), 'no password in the audit log');
  } finally {
    await w.close();
  }
});

test('a one-time login link works once, for 30 minutes, and not for a disabled account', async () => {
  const w = await world();
  try {
    const adminId = (
      await w.call('POST', '/v1/login', { body: { login: 'admin', password: ADMIN_PW } })
    ).json.operator.id as string;
    const ticket = await oneTimeLogin(w.ctx, adminId);
    const first = await w.call('POST', '/v1/console/one-time', { body: { ticket } });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.step, 'done');
    assert.equal(first.json.session.login, 'admin');
    const reused = await w.call('POST', '/v1/console/one-time', { body: { ticket } });
    assert.equal(reused.json.code, 'LOGIN_TICKET_INVALID', 'a link is used once');

    const late = await oneTimeLogin(w.ctx, adminId);
    w.advance(30 * MIN + 1000);
    assert.equal(
      (await w.call('POST', '/v1/console/one-time', { body: { ticket: late } })).json.code,
      'LOGIN_TICKET_INVALID',
      'expired',
    );
    assert.equal(
      (await w.call('POST', '/v1/console/one-time', { body: { ticket: 'ot_' + '0'.repeat(48) } }))
        .json.code,
      'LOGIN_TICKET_INVALID',
      'made up',
    );
    const bad = await w.call('POST', '/v1/console/one-time', { body: { ticket: 42 } });
    assert.equal(bad.status, 400, 'not a string');

    // A link made before the account was disabled does not log it in.
    const admin = await authenticate(w.ctx, (await w.consoleLogin('admin', ADMIN_PW)).cookie);
    const clerk = await createOperator(w.ctx, admin, {
      login: 'clerk',
      displayName: '窓口',
      role: 'platform',
      providerId: null,
      password: PW,
      terminals: [],
    });
    const forClerk = await oneTimeLogin(w.ctx, clerk.id);
    await setOperatorStatus(w.ctx, admin, clerk.id, 'disabled');
    assert.equal(
      (await w.call('POST', '/v1/console/one-time', { body: { ticket: forClerk } })).json.code,
      'LOGIN_TICKET_INVALID',
      'disabled account',
    );
  } finally {
    await w.close();
  }
});

test("a provider's administrator manages only its own operators' authenticators", async () => {
  const w = await world();
  try {
    const admin = (
      await w.call('POST', '/v1/login', { body: { login: 'admin', password: ADMIN_PW } })
    ).json.token as string;
    const post = (url: string, body: unknown, bearer: string) =>
      w.call('POST', url, { body, bearer });
    assert.equal((await post('/v1/providers', MAEBASHI_BODY, admin)).status, 201);
    assert.equal(
      (
        await post(
          '/v1/providers',
          { ...MAEBASHI_BODY, id: 'TAKASAKI', name: '高崎市', municipalityCode: '102024' },
          admin,
        )
      ).status,
      201,
    );
    const operator = (login: string, role: string, providerId: string) =>
      post('/v1/operators', { login, displayName: login, role, providerId, password: PW }, admin);
    const maeAdmin = await operator('mae-admin', 'administrator', 'MAEBASHI');
    assert.equal(maeAdmin.status, 201, JSON.stringify(maeAdmin.json));
    const maeClerk = (await operator('mae-clerk', 'loading_operator', 'MAEBASHI')).json
      .id as string;
    const takClerk = (await operator('tak-clerk', 'loading_operator', 'TAKASAKI')).json
      .id as string;
    const mae = (await w.call('POST', '/v1/login', { body: { login: 'mae-admin', password: PW } }))
      .json.token as string;

    const own = await post(
      `/v1/console/operators/${maeClerk}/authenticators/enrolment`,
      { purpose: 'enrol' },
      mae,
    );
    assert.equal(own.status, 201, JSON.stringify(own.json));
    assert.equal(
      (await w.call('GET', `/v1/console/operators/${maeClerk}/authenticators`, { bearer: mae }))
        .status,
      200,
    );

    const foreign = await post(
      `/v1/console/operators/${takClerk}/authenticators/enrolment`,
      { purpose: 'enrol' },
      mae,
    );
    assert.equal(foreign.status, 404, 'another provider’s operator does not exist for it');
    assert.equal(
      (await w.call('GET', `/v1/console/operators/${takClerk}/authenticators`, { bearer: mae }))
        .status,
      404,
    );
    assert.equal(
      (await post('/v1/console/providers/TAKASAKI/webauthn', { required: true }, mae)).status,
      404,
      'nor may it require WebAuthn of another provider',
    );

    const clerk = (
      await w.call('POST', '/v1/login', { body: { login: 'mae-clerk', password: PW } })
    ).json.token as string;
    const byClerk = await post(
      `/v1/console/operators/${maeClerk}/authenticators/enrolment`,
      { purpose: 'enrol' },
      clerk,
    );
    assert.equal(byClerk.status, 403, 'an operator does not issue enrolment codes');

    // Required: the clerk without an authenticator can no longer log in by password.
    assert.equal(
      (await post('/v1/console/providers/MAEBASHI/webauthn', { required: true }, mae)).status,
      200,
    );
    const refused = await w.call('POST', '/v1/console/login', {
      body: { login: 'mae-clerk', password: PW },
    });
    assert.equal(refused.json.code, 'WEBAUTHN_ENROLMENT_NEEDED');
    const other = await w.call('POST', '/v1/console/login', {
      body: { login: 'tak-clerk', password: PW },
    });
    assert.equal(other.status, 200, 'the other provider is not affected');
  } finally {
    await w.close();
  }
});
