import { seededRandom } from '@myna-ap/apdu';
/**
 * Posts random and mutated requests to every route and asserts the server never
 * answers 5xx, and that every refusal has the documented shape. Seeded, so a
 * failure names the seed that reproduces it. MYNA_SOAK=1 runs 25× more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, ADMIN_PW, PW, MAEBASHI_BODY, type Fixture } from './helpers.ts';
import { openDb } from '@myna-ap/db';
import { skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { routes } from '../src/http/routes.ts';
import { loaderMigrations } from '../src/migrations.ts';

const WEIRD_STRINGS = [
  '',
  ' ',
  'A',
  'MAEBASHI',
  '102016',
  '__proto__',
  'constructor',
  '\u0000',
  '\uD800',
  '𠮷野家',
  '前橋市',
  "'; DROP TABLE providers; --",
  '%00',
  '../..',
  'x'.repeat(300),
  '2026-02-30',
  '9999-99-99',
  'ap_000000000000000000000000',
  'NaN',
  '-1',
  '1e309',
  '2026-06-01',
  'csv',
  'AB'.repeat(16),
];

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1, 13, 33, 255, 256, 4096, 4097, 2 ** 31, 2 ** 53 + 1, -0, 1.5, 1e308][
        Math.floor(r() * 14)
      ];
    case 3:
    case 4:
      return WEIRD_STRINGS[Math.floor(r() * WEIRD_STRINGS.length)];
    case 5:
      return Math.floor(r() * 1e6).toString(16);
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const keys = [
        'id',
        'name',
        'kind',
        'type',
        'size',
        'areas',
        'status',
        'login',
        'password',
        'providerId',
        'role',
        'legalBasis',
        'contact',
        'efs',
        'template',
      ];
      for (let i = Math.floor(r() * 5); i > 0; i--)
        o[keys[Math.floor(r() * keys.length)]!] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/** Lone surrogates cannot be percent-encoded as UTF-8: send an invalid sequence instead. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

/** Several valid bodies for one route (one is picked per request). */
const ONE_OF = Symbol('oneOf');
type OneOf = { readonly [ONE_OF]: readonly unknown[] };
const oneOf = (...xs: unknown[]): OneOf => ({ [ONE_OF]: xs });
const isOneOf = (v: unknown): v is OneOf => typeof v === 'object' && v !== null && ONE_OF in v;

/** Valid bodies to start mutations from. */
function examples(cardApId: string): Record<string, unknown> {
  const consent = { method: 'counter_form', note: '窓口' };
  return {
    '/v1/jobs': oneOf(
      {
        op: 'load',
        terminalId: 'counter-1',
        cardAps: [{ cardApId, area: 'extended', data: 'CAFE', pin: '4321' }],
        consent,
        holderMunicipality: '102016',
        overrideHours: false,
      },
      { op: 'load', terminalId: 'counter-1', consent },
      {
        op: 'delete',
        terminalId: 'counter-1',
        cardApIds: [cardApId],
        consent,
        holderMunicipality: '102016',
      },
      { op: 'diagnose', terminalId: 'counter-1' },
      { op: 'move_in', terminalId: 'counter-1', toMunicipality: '102016', overrideHours: true },
      { op: 'reset_pin', terminalId: 'counter-1', cardApId, pin: '4321', consent },
    ),
    '/v1/jobs/:id/exchange': oneOf(
      { seq: 1, response: '9000' },
      { seq: 1, response: '6A82' },
      { seq: 2, response: '00'.repeat(16) + '9000' },
      { seq: 1, error: 'CARD_REMOVED' },
      { seq: 3, error: 'PCSC_ERROR' },
    ),
    '/v1/jobs/:id/cancel': {},
    '/v1/terminals/:id/auto-load': { autoLoad: [cardApId, { cardApId, area: 'extended' }] },
    '/v1/cards/:cardId/status': oneOf(
      { status: 'lost', source: 'call_center', note: '受付 1' },
      { status: 'active', source: 'issuer' },
      { status: 'suspended', source: 'operator' },
      { status: 'revoked', source: 'jpki_revocation' },
    ),
    '/v1/login': { login: 'admin', password: ADMIN_PW },
    '/v1/providers': { ...MAEBASHI_BODY, id: 'FUZZ' },
    '/v1/providers/:id/status': { status: 'suspended' },
    '/v1/operators': {
      login: 'fuzz-op',
      displayName: 'x',
      role: 'read_only',
      providerId: 'MAEBASHI',
      password: PW,
      terminals: [],
    },
    '/v1/terminals': { id: 'fuzz-t', providerId: 'MAEBASHI', name: 'x', autoLoad: [cardApId] },
    '/v1/card-aps': {
      providerId: 'MAEBASHI',
      name: 'x',
      type: 'custom',
      areas: ['extended'],
      size: 600,
      template: 'single-protected',
    },
    '/v1/card-aps/:id/versions': {
      name: 'x',
      type: 'C',
      areas: ['local'],
      size: 33,
      initialData: '0102',
    },
    '/v1/card-aps/:id/approve': { size: 20 },
    '/v1/card-aps/:id/status': { status: 'suspended' },
    '/v1/card-aps/:id/users': { providerId: 'MAEBASHI', relation: 'joint' },
    '/v1/operators/:id/status': { status: 'disabled' },
    '/v1/operators/:id/password': { password: PW },
    '/v1/me/password': { current: PW, password: PW + '2' },
    '/v1/settings/service-hours': { open: '8:00', close: '22:00', closed: [['12-29', '01-03']] },
    '/v1/consents': {
      terminalId: 'counter-1',
      cardId: 'C1',
      cardApId,
      purpose: 'load',
      method: 'online',
    },
  };
}

/** Valid query strings of the GET routes that take one, to start from. */
const QUERIES: Readonly<Record<string, string>> = {
  '/v1/feed': 'since=0&limit=5',
  '/v1/feed/daily': 'date=2026-06-01&format=csv',
  '/v1/notices': 'after=0&limit=5',
  '/v1/audit': 'after=0&limit=10',
  '/v1/card-aps': 'status=approved',
  '/v1/service-hours': 'at=2026-06-01T10%3A00%3A00%2B09%3A00',
};

function mutate(r: () => number, v: unknown): unknown {
  if (v === null || typeof v !== 'object') return r() < 0.5 ? randomValue(r) : v;
  const o: Record<string, unknown> = Array.isArray(v)
    ? { ...v }
    : { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  const key = keys[Math.floor(r() * keys.length)];
  const op = Math.floor(r() * 4);
  if (op === 0 && key !== undefined) delete o[key];
  else if (op === 1 && key !== undefined) o[key] = randomValue(r);
  else if (op === 2 && key !== undefined) o[key] = mutate(r, o[key]);
  else o[['extra', '__proto__', 'constructor', 'size'][Math.floor(r() * 4)]!] = randomValue(r);
  return Array.isArray(v) ? Object.values(o) : o;
}

async function fuzz(f: Fixture, normalRuns: number, soakRuns: number): Promise<void> {
  {
    const admin = await f.loginAs('admin', ADMIN_PW);
    await f.call('POST', '/v1/providers', MAEBASHI_BODY, admin);
    await f.call(
      'POST',
      '/v1/terminals',
      { id: 'counter-1', providerId: 'MAEBASHI', name: 'x' },
      admin,
    );
    await f.call(
      'POST',
      '/v1/operators',
      {
        login: 'mae-admin',
        displayName: 'x',
        role: 'administrator',
        providerId: 'MAEBASHI',
        password: PW,
        terminals: ['counter-1'],
      },
      admin,
    );
    const maeAdmin = await f.loginAs('mae-admin', PW);
    const ap = await f.call(
      'POST',
      '/v1/card-aps',
      { providerId: 'MAEBASHI', name: 'x', type: 'C', areas: ['extended', 'local'], size: 33 },
      maeAdmin,
    );
    assert.equal(ap.status, 201);
    const ex = examples(ap.json.id);
    // A card job to relay answers to (its id joins the path parameters).
    const job = await f.call(
      'POST',
      '/v1/jobs',
      { op: 'diagnose', terminalId: 'counter-1' },
      maeAdmin,
    );
    assert.equal(job.status, 201, JSON.stringify(job.json));
    // The id that fits a path parameter, so requests get past the validators.
    const fits = (path: string, name: string): string =>
      name === 'cardId'
        ? 'AB'.repeat(16)
        : path.startsWith('/v1/jobs')
          ? job.json.id
          : path.startsWith('/v1/terminals')
            ? 'counter-1'
            : path.startsWith('/v1/providers')
              ? 'MAEBASHI'
              : ap.json.id;
    const ids = [ap.json.id, job.json.id, 'MAEBASHI', 'counter-1', 'AB'.repeat(16)];
    const tokens = [admin, maeAdmin, undefined, 'myna_' + 'A'.repeat(43), 'garbage'];
    // The fuzz logs out and changes passwords now and then: log in again where it can.
    const relogin = async () => {
      for (const [k, login, pw] of [
        [0, 'admin', ADMIN_PW],
        [1, 'mae-admin', PW],
      ] as const) {
        const li = await f.call('POST', '/v1/login', { login, password: pw });
        if (li.status === 200) tokens[k] = li.json.token as string;
      }
    };
    const n = process.env.MYNA_SOAK === '1' ? soakRuns : normalRuns;
    const seed = Number(process.env.MYNA_FUZZ_SEED ?? 20261123);
    const r = seededRandom(seed);
    const statuses = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const route = routes[Math.floor(r() * routes.length)]!;
      if (i % 100 === 99) await relogin();
      let url = route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
        const pick = r();
        const v =
          pick < 0.5
            ? fits(route.path, name)
            : pick < 0.7
              ? ids[Math.floor(r() * ids.length)]!
              : WEIRD_STRINGS[Math.floor(r() * WEIRD_STRINGS.length)]!;
        return enc(v);
      });
      const query = QUERIES[route.path];
      if (query !== undefined && r() < 0.5) {
        // The valid query, or one of its values replaced.
        const parts = query.split('&');
        if (r() < 0.5) {
          const k = Math.floor(r() * parts.length);
          parts[k] = `${parts[k]!.split('=')[0]!}=${enc(String(randomValue(r)))}`;
        }
        url += `?${parts.join('&')}`;
      } else if (r() < 0.3) {
        const keys = [
          'limit',
          'after',
          'status',
          'providerId',
          'at',
          'since',
          'date',
          'format',
          'x',
        ];
        const q = keys[Math.floor(r() * keys.length)]!;
        url += `?${q}=${enc(String(randomValue(r)))}`;
        // Now and then a second parameter (the daily list needs a date and a format).
        if (r() < 0.3)
          url += `&${keys[Math.floor(r() * keys.length)]!}=${enc(String(randomValue(r)))}`;
      }
      const token = tokens[Math.floor(r() * tokens.length)];
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      let payload: string | undefined;
      if (route.method === 'POST') {
        const given = ex[route.path];
        const base = isOneOf(given) ? given[ONE_OF][Math.floor(r() * given[ONE_OF].length)] : given;
        const choice = r();
        const body =
          choice < 0.5 && base !== undefined
            ? mutate(r, base)
            : choice < 0.8
              ? randomValue(r)
              : base;
        payload = choice > 0.97 ? '{"broken": ' : JSON.stringify(body ?? {});
        headers['content-type'] =
          r() < 0.95
            ? 'application/json'
            : [
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/json; charset=latin1',
              ][Math.floor(r() * 3)]!;
      }
      const res = await f.app.inject({
        method: route.method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const where = `seed ${seed} #${i}: ${route.method} ${url} ${payload ?? ''}`;
      assert.ok(res.statusCode < 500, `${where} → ${res.statusCode} ${res.body}`);
      if (res.statusCode >= 400) {
        const j = JSON.parse(res.body) as {
          code?: unknown;
          message?: { en?: unknown; ja?: unknown };
        };
        assert.ok(
          typeof j.code === 'string' &&
            typeof j.message?.en === 'string' &&
            typeof j.message?.ja === 'string',
          `${where} → ${res.body}`,
        );
      }
    }
    // The fuzzer reached handlers, not only the validators.
    assert.ok(
      (statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > n / 100,
      JSON.stringify([...statuses]),
    );
    assert.ok((statuses.get(400) ?? 0) > n / 40, JSON.stringify([...statuses]));
    // (The fuzzer may have logged the tokens out: log in again.)
    const fresh = await f.loginAs('admin', ADMIN_PW);
    assert.equal((await f.call('GET', '/v1/audit/verify', undefined, fresh)).json.ok, true);
  }
}

test('fuzz on PGlite: random and mutated requests to every route never get a 5xx', async () => {
  const f = await fixture();
  try {
    await fuzz(f, 2_000, 50_000);
  } finally {
    await f.close();
  }
});

test('fuzz on PostgreSQL: the same, against a server', { skip: skipUnlessPostgres() }, async () => {
  const pg = await startPostgres();
  try {
    const f = await fixture(undefined, () =>
      openDb({ databaseUrl: pg.url, migrations: [loaderMigrations] }),
    );
    try {
      await fuzz(f, 500, 10_000);
    } finally {
      await f.close();
    }
  } finally {
    await pg.stop();
  }
});
