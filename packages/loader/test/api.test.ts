import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, ADMIN_PW, PW, MAEBASHI_BODY } from './helpers.ts';
import { routes } from '../src/http/routes.ts';
import { startServer } from '../src/serve.ts';
import { ApiClient } from '../src/client.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';

test('API: a provider’s whole registration, with roles enforced', async () => {
  const f = await fixture();
  try {
    assert.deepEqual((await f.call('GET', '/healthz')).json, { status: 'ok', db: 'pglite' });
    const unauth = await f.call('GET', '/v1/providers');
    assert.equal(unauth.status, 401);
    assert.equal(unauth.json.code, 'UNAUTHENTICATED');
    assert.ok(unauth.json.message.en && unauth.json.message.ja);
    const bad = await f.call('POST', '/v1/login', { login: 'admin', password: 'nope' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.code, 'LOGIN_FAILED');
    const admin = await f.loginAs('admin', ADMIN_PW);
    const me = await f.call('GET', '/v1/me', undefined, admin);
    assert.equal(me.json.role, 'platform');

    const created = await f.call('POST', '/v1/providers', MAEBASHI_BODY, admin);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.aidRange.prefix.length, 16);
    assert.equal(
      (await f.call('POST', '/v1/providers', MAEBASHI_BODY, admin)).json.code,
      'PROVIDER_EXISTS',
    );
    const wrongCode = await f.call(
      'POST',
      '/v1/providers',
      { ...MAEBASHI_BODY, id: 'X', municipalityCode: '102017' },
      admin,
    );
    assert.equal(wrongCode.status, 400);
    assert.equal(wrongCode.json.code, 'MUNICIPALITY_CODE_INVALID');
    const invalid = await f.call(
      'POST',
      '/v1/providers',
      { ...MAEBASHI_BODY, kind: 'city' },
      admin,
    );
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.code, 'VALIDATION');
    assert.match(invalid.json.message.en, /body\.kind/);
    assert.equal(
      (await f.call('POST', '/v1/providers', { ...MAEBASHI_BODY, extra: 1 }, admin)).status,
      400,
    );

    const t = await f.call(
      'POST',
      '/v1/terminals',
      { id: 'counter-1', providerId: 'MAEBASHI', name: '窓口1' },
      admin,
    );
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const op = await f.call(
      'POST',
      '/v1/operators',
      {
        login: 'mae-admin',
        displayName: '管理者',
        role: 'administrator',
        providerId: 'MAEBASHI',
        password: PW,
        terminals: ['counter-1'],
      },
      admin,
    );
    assert.equal(op.status, 201, JSON.stringify(op.json));
    const maeAdmin = await f.loginAs('mae-admin', PW);
    assert.equal(
      (await f.call('POST', '/v1/providers', { ...MAEBASHI_BODY, id: 'OTHER' }, maeAdmin)).status,
      403,
    );

    const req = await f.call(
      'POST',
      '/v1/card-aps',
      { providerId: 'MAEBASHI', name: '図書館', type: 'C', areas: ['extended'], size: 33 },
      maeAdmin,
    );
    assert.equal(req.status, 201, JSON.stringify(req.json));
    const tooBig = await f.call(
      'POST',
      '/v1/card-aps',
      { providerId: 'MAEBASHI', name: 'x', type: 'C', areas: ['extended'], size: 34 },
      maeAdmin,
    );
    assert.equal(tooBig.json.code, 'CARDAP_TOO_LARGE');
    assert.equal(
      (await f.call('POST', `/v1/card-aps/${req.json.id}/approve`, {}, maeAdmin)).status,
      403,
    );
    const appr = await f.call('POST', `/v1/card-aps/${req.json.id}/approve`, {}, admin);
    assert.equal(appr.status, 200, JSON.stringify(appr.json));
    assert.equal(appr.json.aid, `${created.json.aidRange.prefix}00`);
    const list = await f.call('GET', '/v1/card-aps?status=approved', undefined, maeAdmin);
    assert.equal(list.json.length, 1);
    assert.equal(
      (await f.call('GET', '/v1/card-aps?status=nope', undefined, maeAdmin)).status,
      400,
    );
    assert.equal(
      (await f.call('GET', '/v1/card-aps/ap_000000000000000000000000', undefined, maeAdmin)).status,
      404,
    );
    const consent = await f.call(
      'POST',
      '/v1/consents',
      {
        terminalId: 'counter-1',
        cardId: 'CARD-1',
        cardApId: req.json.id,
        purpose: 'load',
        method: 'counter_form',
      },
      maeAdmin,
    );
    assert.equal(consent.status, 201, JSON.stringify(consent.json));
    const hours = await f.call(
      'GET',
      '/v1/service-hours?at=2026-12-30T10:00:00%2B09:00',
      undefined,
      maeAdmin,
    );
    assert.deepEqual(hours.json, {
      at: '2026-12-30T01:00:00.000Z',
      open: false,
      reason: 'closed_day',
    });

    const audit = await f.call('GET', '/v1/audit?limit=1000', undefined, admin);
    assert.ok(audit.json.length >= 8);
    const own = await f.call('GET', '/v1/audit?limit=1000', undefined, maeAdmin);
    assert.ok(
      own.json.every(
        (r: { detail: { providerId?: string } }) => r.detail.providerId === 'MAEBASHI',
      ),
    );
    assert.deepEqual((await f.call('GET', '/v1/audit/verify', undefined, admin)).json.ok, true);
    assert.equal((await f.call('GET', '/v1/audit/verify', undefined, maeAdmin)).status, 403);
    assert.equal((await f.call('POST', '/v1/logout', {}, maeAdmin)).status, 200);
    assert.equal((await f.call('GET', '/v1/me', undefined, maeAdmin)).status, 401);
  } finally {
    await f.close();
  }
});

test('API: malformed requests are 4xx with a code and both languages', async () => {
  const f = await fixture();
  try {
    const admin = await f.loginAs('admin', ADMIN_PW);
    const raw = async (opts: {
      method: 'GET' | 'POST';
      url: string;
      headers: Record<string, string>;
      payload?: string;
    }) => {
      const r = await f.app.inject(opts);
      return { status: r.statusCode, json: JSON.parse(r.body) };
    };
    const h = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const cases = [
      await raw({ method: 'POST', url: '/v1/providers', headers: h, payload: '{"id": ' }),
      await raw({
        method: 'POST',
        url: '/v1/providers',
        headers: { ...h, 'content-type': 'text/plain' },
        payload: 'x',
      }),
      await raw({
        method: 'POST',
        url: '/v1/providers',
        headers: h,
        payload: '{"__proto__": {"x": 1}}',
      }),
      await raw({
        method: 'POST',
        url: '/v1/providers',
        headers: h,
        payload: JSON.stringify({ name: 'x'.repeat(70_000) }),
      }),
      await raw({ method: 'GET', url: '/v1/nope', headers: h }),
      await raw({ method: 'GET', url: `/v1/providers/${'A'.repeat(300)}`, headers: h }),
      await raw({
        method: 'GET',
        url: '/v1/providers',
        headers: { authorization: 'Bearer garbage' },
      }),
      await raw({ method: 'GET', url: '/v1/providers', headers: { authorization: 'Basic abc' } }),
      await raw({ method: 'GET', url: '/v1/audit?limit=99999999999999999999', headers: h }),
      await raw({
        method: 'POST',
        url: '/v1/login',
        headers: { 'content-type': 'application/json' },
        payload: '[]',
      }),
      await raw({
        method: 'POST',
        url: '/v1/login',
        headers: { 'content-type': 'application/json' },
        payload: 'null',
      }),
      await raw({
        method: 'POST',
        url: '/v1/login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ login: 'admin\u0000', password: 'x' }),
      }),
    ];
    for (const c of cases) {
      assert.ok(c.status >= 400 && c.status < 500, JSON.stringify(c));
      assert.equal(typeof c.json.code, 'string');
      assert.equal(typeof c.json.message.en, 'string');
      assert.equal(typeof c.json.message.ja, 'string');
    }
    assert.deepEqual(
      cases.map((c) => c.json.code),
      [
        'BAD_JSON',
        'UNSUPPORTED_MEDIA_TYPE',
        'BAD_JSON',
        'BODY_TOO_LARGE',
        'ROUTE_NOT_FOUND',
        'PATH_TOO_LONG',
        'UNAUTHENTICATED',
        'UNAUTHENTICATED',
        'VALIDATION',
        'VALIDATION',
        'VALIDATION',
        'NUL_IN_INPUT',
      ],
    );
    assert.deepEqual(
      cases.map((c) => c.status),
      [400, 415, 400, 413, 404, 414, 401, 401, 400, 400, 400, 400],
    );
  } finally {
    await f.close();
  }
});

test('OpenAPI 3.1: every route, with its input schemas', async () => {
  const f = await fixture();
  try {
    const doc = (await f.call('GET', '/openapi.json')).json;
    assert.equal(doc.openapi, '3.1.0');
    for (const r of routes) {
      const p = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths[p]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path}`);
      if (r.body) {
        const b = op.requestBody.content['application/json'].schema;
        // An object, or a union of objects (the card jobs' `op` variants).
        assert.ok(b.properties ?? b.oneOf ?? b.anyOf, r.path);
      }
      for (const m of p.matchAll(/\{([A-Za-z]+)\}/g))
        assert.ok(
          op.parameters.some(
            (x: { name: string; in: string }) => x.name === m[1] && x.in === 'path',
          ),
          `${r.path} ${m[1]}`,
        );
    }
    const prov = doc.paths['/v1/providers'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(prov.properties.kind.enum, [
      'national',
      'prefecture',
      'municipality',
      'agency',
      'private',
    ]);
    assert.equal(prov.additionalProperties, false);
    assert.ok(doc.components.schemas.Error);
  } finally {
    await f.close();
  }
});

test('startServer on a data dir: URL, first admin once, client errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-serve-'));
  try {
    const s = await startServer({ port: 0, dataDir: join(dir, 'db'), config: TEST_CONFIG });
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.bootstrap?.login, 'admin');
    const anon = new ApiClient(s.url);
    const { token } = await anon.call('login', {
      body: { login: 'admin', password: s.bootstrap?.password ?? '' },
    });
    const c = new ApiClient(s.url, token);
    assert.deepEqual(await c.call('listProviders'), []);
    await assert.rejects(c.call('getProvider', { params: { id: 'NOPE' } }), {
      code: 'NOT_FOUND',
      status: 404,
    });
    await s.close();
    const again = await startServer({ port: 0, dataDir: join(dir, 'db'), config: TEST_CONFIG });
    assert.equal(again.bootstrap, undefined, 'the admin exists already');
    await again.close();
    await assert.rejects(new ApiClient(again.url).call('health'), { code: 'SERVER_UNREACHABLE' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('API: operator accounts — unlock, disable, reset, own password; service hours settings', async () => {
  const f = await fixture();
  try {
    const admin = await f.loginAs('admin', ADMIN_PW);
    await f.call('POST', '/v1/providers', MAEBASHI_BODY, admin);
    await f.call(
      'POST',
      '/v1/providers',
      { ...MAEBASHI_BODY, id: 'TAKASAKI', municipalityCode: '102024' },
      admin,
    );
    const mk = async (login: string, role: string, providerId: string) => {
      const r = await f.call(
        'POST',
        '/v1/operators',
        { login, displayName: login, role, providerId, password: PW },
        admin,
      );
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json.id as string;
    };
    await mk('mae-admin', 'administrator', 'MAEBASHI');
    const opId = await mk('mae-op', 'loading_operator', 'MAEBASHI');
    const otherId = await mk('taka-op', 'loading_operator', 'TAKASAKI');
    const maeAdmin = await f.loginAs('mae-admin', PW);

    for (let i = 0; i < 5; i++)
      await f.call('POST', '/v1/login', { login: 'mae-op', password: 'wrong wrong wrong' });
    assert.equal(
      (await f.call('POST', '/v1/login', { login: 'mae-op', password: PW })).json.code,
      'ACCOUNT_LOCKED',
    );
    assert.equal(
      (await f.call('POST', `/v1/operators/${otherId}/unlock`, {}, maeAdmin)).status,
      404,
      'other provider',
    );
    assert.equal((await f.call('POST', `/v1/operators/${opId}/unlock`, {}, maeAdmin)).status, 200);
    const opToken = await f.loginAs('mae-op', PW);
    assert.equal(
      (await f.call('POST', `/v1/operators/${opId}/unlock`, {}, opToken)).status,
      403,
      'operators do not manage accounts',
    );

    assert.equal(
      (await f.call('POST', `/v1/operators/${opId}/status`, { status: 'disabled' }, maeAdmin))
        .status,
      200,
    );
    assert.equal(
      (await f.call('GET', '/v1/me', undefined, opToken)).status,
      401,
      'disabling ends sessions',
    );
    assert.equal(
      (await f.call('POST', '/v1/login', { login: 'mae-op', password: PW })).json.code,
      'ACCOUNT_LOCKED',
    );
    await f.call('POST', `/v1/operators/${opId}/status`, { status: 'active' }, maeAdmin);
    const me = (await f.call('GET', '/v1/me', undefined, maeAdmin)).json;
    assert.equal(
      (
        await f.call(
          'POST',
          `/v1/operators/${me.operatorId}/status`,
          { status: 'disabled' },
          maeAdmin,
        )
      ).json.code,
      'OPERATOR_SELF',
    );

    const short = await f.call(
      'POST',
      `/v1/operators/${opId}/password`,
      { password: 'short' },
      maeAdmin,
    );
    assert.equal(short.json.code, 'PASSWORD_TOO_SHORT');
    assert.equal(
      (
        await f.call(
          'POST',
          `/v1/operators/${opId}/password`,
          { password: 'a brand new password' },
          maeAdmin,
        )
      ).status,
      200,
    );
    const op2 = await f.loginAs('mae-op', 'a brand new password');
    const other = await f.loginAs('mae-op', 'a brand new password');
    assert.equal(
      (
        await f.call(
          'POST',
          '/v1/me/password',
          { current: 'nope', password: 'another new password' },
          op2,
        )
      ).json.code,
      'PASSWORD_WRONG',
    );
    assert.equal(
      (
        await f.call(
          'POST',
          '/v1/me/password',
          { current: 'a brand new password', password: 'another new password' },
          op2,
        )
      ).status,
      200,
    );
    assert.equal((await f.call('GET', '/v1/me', undefined, op2)).status, 200, 'this session stays');
    assert.equal(
      (await f.call('GET', '/v1/me', undefined, other)).status,
      401,
      'other sessions end',
    );

    // Service hours: platform changes them; everyone reads the same.
    assert.deepEqual((await f.call('GET', '/v1/settings/service-hours', undefined, op2)).json, {
      open: '08:00',
      close: '22:00',
      closed: [['12-29', '01-03']],
    });
    assert.equal(
      (
        await f.call(
          'POST',
          '/v1/settings/service-hours',
          { open: '9:00', close: '17:00', closed: [] },
          maeAdmin,
        )
      ).status,
      403,
    );
    const bad = await f.call(
      'POST',
      '/v1/settings/service-hours',
      { open: '17:00', close: '9:00', closed: [] },
      admin,
    );
    assert.equal(bad.json.code, 'SERVICE_HOURS_INVALID');
    assert.equal(
      (
        await f.call(
          'POST',
          '/v1/settings/service-hours',
          { open: '9:00', close: '17:00', closed: [] },
          admin,
        )
      ).status,
      200,
    );
    const at = (t: string) =>
      f.call('GET', `/v1/service-hours?at=${encodeURIComponent(t)}`, undefined, op2);
    assert.equal((await at('2026-12-30T10:00:00+09:00')).json.open, true, 'no closed days now');
    assert.equal((await at('2026-06-01T08:30:00+09:00')).json.open, false, 'opens at 9:00 now');
    assert.equal((await f.call('GET', '/v1/audit/verify', undefined, admin)).json.ok, true);
  } finally {
    await f.close();
  }
});

test('startServer on PostgreSQL (DATABASE_URL)', { skip: skipUnlessPostgres() }, async () => {
  const pg = await startPostgres();
  try {
    const s = await startServer({
      port: 0,
      databaseUrl: pg.url,
      config: TEST_CONFIG,
      adminPassword: ADMIN_PW,
    });
    try {
      assert.deepEqual(await new ApiClient(s.url).call('health'), {
        status: 'ok',
        db: 'postgres',
      });
      const { token } = await new ApiClient(s.url).call('login', {
        body: { login: 'admin', password: ADMIN_PW },
      });
      const c = new ApiClient(s.url, token);
      await c.call('createProvider', { body: MAEBASHI_BODY });
      assert.equal((await c.call('listProviders')).length, 1);
      assert.equal((await c.call('verifyAudit')).ok, true);
    } finally {
      await s.close();
    }
  } finally {
    await pg.stop();
  }
});
