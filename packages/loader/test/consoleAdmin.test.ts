/**
 * What the console's administration screens read (http/consoleAdminMount.ts): the
 * terminal agents of the operator's own provider only, never their approval codes;
 * the provider's WebAuthn rule, its own only. Through the terminal channel's
 * routes as `myna serve` mounts them (an agent enrols there; no agent connects).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { buildServer } from '../src/http/server.ts';
import { consoleAdminMount } from '../src/http/consoleAdminMount.ts';
import { consoleAuthMount } from '../src/http/consoleAuthMount.ts';
import { terminalChannelMount } from '../src/http/terminalChannel.ts';
import { bootstrapPlatformAdmin } from '../src/store/operators.ts';
import { appendAudit } from '../src/store/audit.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import { freshPglite } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';
import type { Ctx } from '../src/store/context.ts';
import { ADMIN_PW, MAEBASHI_BODY, PW } from './helpers.ts';

async function world() {
  const db = await freshPglite([loaderMigrations]);
  const ctx: Ctx = {
    db,
    config: TEST_CONFIG,
    keys: new MemoryKeyStore('test'),
    now: () => new Date('2026-06-01T10:00:00+09:00'),
  };
  await bootstrapPlatformAdmin(ctx, ADMIN_PW);
  const app = buildServer(ctx, {
    mounts: [consoleAuthMount(), consoleAdminMount(), terminalChannelMount()],
  });
  const call = async (method: 'GET' | 'POST', url: string, body?: unknown, token?: string) => {
    const r = await app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: body as object }),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
    return { status: r.statusCode, json: (r.body ? JSON.parse(r.body) : undefined) as any };
  };
  const loginAs = async (login: string, password: string) => {
    const r = await call('POST', '/v1/login', { login, password });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.token as string;
  };
  const platform = await loginAs('admin', ADMIN_PW);
  /** A provider with a terminal, an administrator and an auditor; an agent enrolled for the terminal. */
  const provider = async (id: string, municipalityCode: string) => {
    const p = await call(
      'POST',
      '/v1/providers',
      { ...MAEBASHI_BODY, id, municipalityCode },
      platform,
    );
    assert.equal(p.status, 201, JSON.stringify(p.json));
    const terminal = `${id.toLowerCase()}-counter`;
    assert.equal(
      (
        await call(
          'POST',
          '/v1/terminals',
          { id: terminal, providerId: id, name: terminal },
          platform,
        )
      ).status,
      201,
    );
    for (const role of ['administrator', 'auditor'] as const) {
      const o = await call(
        'POST',
        '/v1/operators',
        {
          login: `${id.toLowerCase()}-${role}`,
          displayName: role,
          role,
          providerId: id,
          password: PW,
          terminals: [terminal],
        },
        platform,
      );
      assert.equal(o.status, 201, JSON.stringify(o.json));
    }
    const { publicKey } = generateKeyPairSync('ed25519');
    const enrol = await call('POST', '/terminal/enrol', {
      terminalId: terminal,
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
    });
    assert.equal(enrol.status, 201, JSON.stringify(enrol.json));
    return {
      id,
      terminal,
      agent: enrol.json as { agentId: string; code: string },
      admin: await loginAs(`${id.toLowerCase()}-administrator`, PW),
      auditor: await loginAs(`${id.toLowerCase()}-auditor`, PW),
    };
  };
  return { ctx, call, platform, provider, close: () => app.close().then(() => db.close()) };
}

test('terminal agents: own provider only, never a code; approved and revoked as they go', async () => {
  const w = await world();
  try {
    const x = await w.provider('XTOWN', '102016');
    const y = await w.provider('YTOWN', '131016');
    const list = async (token: string) => {
      const r = await w.call('GET', '/v1/console/terminal-agents', undefined, token);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json as { id: string; terminalId: string; providerId: string; state: string }[];
    };
    const mine = await list(x.admin);
    assert.deepEqual(
      mine.map((a) => [a.id, a.terminalId, a.providerId, a.state]),
      [[x.agent.agentId, x.terminal, 'XTOWN', 'pending']],
    );
    // The code is typed from the counter PC, never read from the server.
    assert.ok(!JSON.stringify(mine).includes(x.agent.code));
    assert.ok(mine.every((a) => !('code' in a)));
    // The platform sees both providers' agents.
    assert.deepEqual((await list(w.platform)).map((a) => a.providerId).sort(), ['XTOWN', 'YTOWN']);
    // An auditor may not administer agents.
    const audit = await w.call('GET', '/v1/console/terminal-agents', undefined, x.auditor);
    assert.equal(audit.status, 403);
    // Approved by its code, then revoked: the list follows.
    assert.equal(
      (await w.call('POST', '/terminal/approve', { code: x.agent.code }, x.admin)).status,
      200,
    );
    assert.equal((await list(x.admin))[0]?.state, 'approved');
    assert.equal(
      (await w.call('POST', `/terminal/agents/${x.agent.agentId}/revoke`, {}, x.admin)).status,
      200,
    );
    assert.equal((await list(x.admin))[0]?.state, 'revoked');
    // Y's agent is untouched by all of it, and X cannot approve it.
    assert.equal(
      (await w.call('POST', '/terminal/approve', { code: y.agent.code }, x.admin)).status,
      404,
    );
    assert.equal((await list(y.admin))[0]?.state, 'pending');
    // No token: no list.
    assert.equal((await w.call('GET', '/v1/console/terminal-agents')).status, 401);
  } finally {
    await w.close();
  }
});

test('the WebAuthn rule: read by the provider’s own operators and the platform only', async () => {
  const w = await world();
  try {
    const x = await w.provider('XTOWN', '102016');
    const y = await w.provider('YTOWN', '131016');
    const rule = (id: string, token: string) =>
      w.call('GET', `/v1/console/providers/${id}/webauthn`, undefined, token);
    assert.deepEqual((await rule('XTOWN', x.admin)).json, { providerId: 'XTOWN', required: false });
    const set = await w.call(
      'POST',
      '/v1/console/providers/XTOWN/webauthn',
      { required: true },
      x.admin,
    );
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.deepEqual((await rule('XTOWN', x.auditor)).json, {
      providerId: 'XTOWN',
      required: true,
    });
    assert.deepEqual((await rule('XTOWN', w.platform)).json, {
      providerId: 'XTOWN',
      required: true,
    });
    // Another provider's rule does not exist for X.
    const other = await rule('YTOWN', x.admin);
    assert.equal(other.status, 404);
    assert.equal(other.json.code, 'NOT_FOUND');
    assert.deepEqual((await rule('YTOWN', y.admin)).json, { providerId: 'YTOWN', required: false });
    // A malformed provider id is told so.
    assert.equal((await rule('not a provider!', x.admin)).status, 400);
  } finally {
    await w.close();
  }
});

test('loads and refusals per Japan-time day: counted by the server, own provider only', async () => {
  const w = await world();
  try {
    const x = await w.provider('XTOWN', '102016');
    const y = await w.provider('YTOWN', '131016');
    // The clock stands at 2026-06-01 10:00 in Japan.
    const row = (at: string, action: string, providerId: string) =>
      appendAudit(
        w.ctx.db,
        { actor: 'test', action, target: null, detail: { providerId } },
        new Date(at),
      );
    await row('2026-06-01T00:30:00+09:00', 'instance.installed', x.id);
    await row('2026-05-31T23:30:00+09:00', 'instance.installed', x.id); // 14:30 UTC
    await row('2026-06-01T09:00:00+09:00', 'load.refused', x.id);
    await row('2026-06-01T09:01:00+09:00', 'instance.install_refused', x.id);
    await row('2026-06-01T09:02:00+09:00', 'cardap.request', x.id); // not a load
    await row('2026-05-18T23:59:00+09:00', 'instance.installed', x.id); // before the 14 days
    await row('2026-06-01T09:03:00+09:00', 'instance.installed', y.id);

    const daily = async (token: string, q = '') => {
      const r = await w.call('GET', `/v1/console/stats/daily${q}`, undefined, token);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json.days as { day: string; loads: number; refusals: number }[];
    };
    const xs = await daily(x.admin);
    assert.equal(xs.length, 14);
    assert.equal(xs[0]!.day, '2026-05-19');
    assert.deepEqual(xs.slice(-2), [
      { day: '2026-05-31', loads: 1, refusals: 0 },
      { day: '2026-06-01', loads: 1, refusals: 2 },
    ]);
    assert.equal(
      xs.reduce((n, d) => n + d.loads + d.refusals, 0),
      4,
      'nothing else counted',
    );
    assert.deepEqual(await daily(x.auditor), xs);
    assert.deepEqual(await daily(y.admin, '?days=1'), [
      { day: '2026-06-01', loads: 1, refusals: 0 },
    ]);
    assert.deepEqual((await daily(w.platform, '?days=1'))[0], {
      day: '2026-06-01',
      loads: 2,
      refusals: 2,
    });
    assert.equal((await daily(x.admin, '?days=20'))[0]!.day, '2026-05-13');
    assert.equal((await daily(x.admin, '?days=20'))[5]!.loads, 1, 'the 18th of May, in Japan');
    for (const bad of ['?days=0', '?days=93', '?days=two', '?from=2026-01-01']) {
      const r = await w.call('GET', `/v1/console/stats/daily${bad}`, undefined, x.admin);
      assert.equal(r.status, 400, bad);
      assert.equal(r.json.code, 'VALIDATION', bad);
    }
    assert.equal((await w.call('GET', '/v1/console/stats/daily')).status, 401);
  } finally {
    await w.close();
  }
});
