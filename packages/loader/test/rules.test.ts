import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AREA_JA, areaEligibility } from '../src/domain/rules/area.ts';
import {
  checkServiceHours,
  closedPeriodAt,
  DEFAULT_SERVICE_HOURS,
  parseClock,
  serviceHoursAt,
} from '../src/domain/rules/serviceHours.ts';
import { checkCapacity, footprint } from '../src/domain/rules/capacity.ts';
import { newUserId } from '../src/domain/rules/userId.ts';
import { can, type Actor } from '../src/domain/roles.ts';
import { hashPassword, verifyPassword } from '../src/domain/password.ts';
import {
  afterFailure,
  afterSuccess,
  isLocked,
  looksLikeToken,
  newSessionToken,
  sessionValid,
  tokenHash,
} from '../src/domain/login.ts';
import {
  aidBelongsTo,
  aidInRange,
  aidPrefixFor,
  checkNewProvider,
  type NewProvider,
  type Provider,
} from '../src/domain/provider.ts';
import {
  checkLoadable,
  checkRequest,
  checkTransition,
  cardApRequestSchema,
} from '../src/domain/cardAp.ts';
import { reconcile, transition } from '../src/domain/saga.ts';
import { providerId, type ProviderId, type TerminalId } from '../src/domain/ids.ts';

const MAEBASHI = '102016'; // 前橋市 (check digit valid)
const TAKASAKI = '102024'; // 高崎市

const muni = {
  kind: 'municipality',
  municipalityCode: MAEBASHI,
  status: 'active',
  canLoad: true,
} as const;

test('area eligibility: 地域住民向け領域 only for the holder’s own municipality', () => {
  assert.equal(areaEligibility(muni, 'local', MAEBASHI).ok, true);
  const other = areaEligibility(muni, 'local', TAKASAKI);
  assert.equal(other.ok, false);
  assert.equal(!other.ok && other.error.code, 'AREA_LOCAL_NOT_RESIDENT');
  const unknown = areaEligibility(muni, 'local', null);
  assert.equal(!unknown.ok && unknown.error.code, 'HOLDER_MUNICIPALITY_UNKNOWN');
  for (const kind of ['national', 'prefecture', 'agency', 'private'] as const) {
    const p = { kind, municipalityCode: null, status: 'active', canLoad: true } as const;
    const d = areaEligibility(p, 'local', MAEBASHI);
    assert.equal(!d.ok && d.error.code, 'AREA_LOCAL_MUNICIPALITY_ONLY', kind);
    assert.equal(areaEligibility(p, 'extended', null).ok, true, kind);
  }
  // 拡張利用領域: a municipality may serve holders registered elsewhere.
  assert.equal(areaEligibility(muni, 'extended', TAKASAKI).ok, true);
  const partner = areaEligibility({ ...muni, canLoad: false }, 'extended', null);
  assert.equal(!partner.ok && partner.error.code, 'PROVIDER_CANNOT_LOAD');
  const suspended = areaEligibility({ ...muni, status: 'suspended' }, 'extended', null);
  assert.equal(!suspended.ok && suspended.error.code, 'PROVIDER_NOT_ACTIVE');
  assert.equal(!other.ok && other.error.status, 403);
  assert.match(!other.ok ? other.error.text.ja : '', /地域住民向け領域/);
});

test('service hours: 8:00–22:00 JST, closed 12/29–1/3, override', () => {
  const jst = (s: string) => new Date(`${s}+09:00`);
  assert.deepEqual(serviceHoursAt(jst('2026-06-01T08:00:00')), { open: true, overridden: false });
  assert.equal(serviceHoursAt(jst('2026-06-01T07:59:59')).open, false);
  assert.equal(serviceHoursAt(jst('2026-06-01T21:59:00')).open, true);
  assert.deepEqual(serviceHoursAt(jst('2026-06-01T22:00:00')), {
    open: false,
    reason: 'outside_hours',
  });
  for (const d of ['2026-12-29', '2026-12-31', '2027-01-01', '2027-01-03'])
    assert.deepEqual(
      serviceHoursAt(jst(`${d}T12:00:00`)),
      { open: false, reason: 'closed_day' },
      d,
    );
  assert.equal(serviceHoursAt(jst('2026-12-28T12:00:00')).open, true);
  assert.equal(serviceHoursAt(jst('2027-01-04T08:00:00')).open, true);
  // 23:30 UTC on 12/28 is 8:30 JST on 12/29: closed, whatever the server's zone.
  assert.equal(serviceHoursAt(new Date('2026-12-28T23:30:00Z')).open, false);
  assert.throws(() => checkServiceHours(jst('2026-06-01T23:00:00'), false), {
    code: 'OUTSIDE_SERVICE_HOURS',
  });
  assert.deepEqual(checkServiceHours(jst('2026-06-01T23:00:00'), true), {
    open: true,
    overridden: true,
  });
  assert.equal(parseClock('8:00'), 480);
  assert.equal(parseClock('24:00'), 1440);
  for (const bad of ['25:00', '8', '8:60', '', 'ab:cd'])
    assert.equal(parseClock(bad), undefined, bad);
});

test('service hours: minutes count, other closed periods, and what the refusal says', () => {
  const jst = (s: string) => new Date(`${s}+09:00`);
  // Minutes matter at both ends: 8:30 is open, 22:30 is not.
  assert.equal(serviceHoursAt(jst('2026-06-01T08:30:00')).open, true);
  assert.equal(serviceHoursAt(jst('2026-06-01T21:30:00')).open, true);
  assert.equal(serviceHoursAt(jst('2026-06-01T22:30:00')).open, false);
  // A provider's own hours (8:30–17:15) and closed periods that do not wrap the year
  // end (お盆 8/13–8/15), several at once.
  const hours = {
    ...DEFAULT_SERVICE_HOURS,
    openMinute: 8 * 60 + 30,
    closeMinute: 17 * 60 + 15,
    closed: [
      ['05-03', '05-05'],
      ['08-13', '08-15'],
    ] as const,
  };
  for (const [at, open] of [
    ['2026-08-12T12:00:00', true],
    ['2026-08-13T12:00:00', false],
    ['2026-08-14T12:00:00', false],
    ['2026-08-15T12:00:00', false],
    ['2026-08-16T12:00:00', true],
    ['2026-05-04T12:00:00', false],
    ['2026-12-30T12:00:00', true], // the default year-end period is not theirs
    ['2026-06-01T08:29:00', false],
    ['2026-06-01T08:30:00', true],
    ['2026-06-01T17:14:00', true],
    ['2026-06-01T17:15:00', false],
  ] as const)
    assert.equal(serviceHoursAt(jst(at), hours).open, open, at);
  assert.deepEqual(closedPeriodAt(jst('2026-08-14T12:00:00'), hours), ['08-13', '08-15']);
  // A one-day closure closes that day only.
  const oneDay = { ...DEFAULT_SERVICE_HOURS, closed: [['11-03', '11-03']] as const };
  assert.equal(serviceHoursAt(jst('2026-11-03T12:00:00'), oneDay).open, false);
  assert.equal(serviceHoursAt(jst('2026-11-04T12:00:00'), oneDay).open, true);
  assert.equal(serviceHoursAt(jst('2026-11-02T12:00:00'), oneDay).open, true);
  assert.equal(closedPeriodAt(jst('2026-08-16T12:00:00'), hours), undefined);

  // Inside hours the decision is open and not an override, even when one is allowed
  // (an override is logged: it must not be claimed when none was needed).
  assert.deepEqual(checkServiceHours(jst('2026-06-01T10:00:00'), false), {
    open: true,
    overridden: false,
  });
  assert.deepEqual(checkServiceHours(jst('2026-06-01T10:00:00'), true), {
    open: true,
    overridden: false,
  });
  const refusal = (at: string, h = DEFAULT_SERVICE_HOURS) => {
    try {
      checkServiceHours(jst(at), false, h);
    } catch (e) {
      return e as {
        code: string;
        status: number;
        text: { en: string; ja: string };
        detail: unknown;
      };
    }
    throw new Error(`${at} was not refused`);
  };
  const late = refusal('2026-06-01T23:00:00');
  assert.equal(late.status, 409);
  assert.deepEqual(late.detail, { reason: 'outside_hours' });
  assert.equal(
    late.text.en,
    'loading is open 8:00–22:00 (Japan time); an administrator may override',
  );
  assert.equal(
    late.text.ja,
    'サービス提供時間（8:00〜22:00）外です（管理者は時間外操作が可能です）',
  );
  assert.match(refusal('2026-06-01T18:00:00', hours).text.en, /open 8:30–17:15 /);
  const yearEnd = refusal('2026-12-30T10:00:00');
  assert.deepEqual(yearEnd.detail, { reason: 'closed_day' });
  assert.equal(yearEnd.text.en, 'loading is closed 12/29–1/3; an administrator may override');
  assert.equal(
    yearEnd.text.ja,
    '12/29〜1/3はサービス提供時間外です（管理者は時間外操作が可能です）',
  );
  assert.match(refusal('2026-08-14T10:00:00', hours).text.ja, /^8\/13〜8\/15は/);

  // Clock strings as operators type them; nothing around them.
  assert.equal(parseClock('8:30'), 510);
  assert.equal(parseClock('08:30'), 510);
  assert.equal(parseClock('17:15'), 1035);
  for (const bad of ['108:00', '8:00x', 'x8:00', '8:00 ', '24:01', '8:5'])
    assert.equal(parseClock(bad), undefined, bad);
});

test('area and capacity refusals say what and where, in both languages', () => {
  const text = (d: ReturnType<typeof areaEligibility>) => (d.ok ? undefined : d.error.text);
  assert.deepEqual(AREA_JA, { local: '地域住民向け領域', extended: '拡張利用領域' });
  assert.deepEqual(text(areaEligibility({ ...muni, status: 'suspended' }, 'extended', null)), {
    en: 'the provider is not active',
    ja: 'サービス提供者が有効ではありません',
  });
  assert.deepEqual(text(areaEligibility({ ...muni, canLoad: false }, 'extended', null)), {
    en: 'a partner store only uses card APs; its representative loads them',
    ja: '提携店はカードAPを利用するのみで、搭載・削除は代表が行います',
  });
  const national = {
    kind: 'national',
    municipalityCode: null,
    status: 'active',
    canLoad: true,
  } as const;
  assert.match(text(areaEligibility(national, 'local', MAEBASHI))!.ja, /市区町村のみ/);
  assert.match(text(areaEligibility(national, 'local', MAEBASHI))!.en, /only for municipalities/);
  assert.match(text(areaEligibility(muni, 'local', null))!.en, /is unknown/);
  assert.match(text(areaEligibility(muni, 'local', null))!.ja, /住民票のある市区町村が不明/);
  const elsewhere = text(areaEligibility(muni, 'local', TAKASAKI))!;
  assert.match(
    elsewhere.en,
    new RegExp(`registered in ${TAKASAKI}, not in this municipality \\(${MAEBASHI}\\)`),
  );
  assert.match(elsewhere.ja, new RegExp(`当市区町村（${MAEBASHI}）ではなく ${TAKASAKI}`));
  for (const area of ['local', 'extended'] as const)
    assert.throws(
      () => checkCapacity({ area, free: 10 }, 33),
      (e: { text: { en: string; ja: string } }) =>
        e.text.en ===
          `not enough space in the ${area} area: ${footprint(33)} bytes needed, 10 left` &&
        e.text.ja ===
          `${AREA_JA[area]}の空き容量が不足しています（必要 ${footprint(33)} バイト、残り 10 バイト）`,
      area,
    );
  assert.throws(
    () => newUserId(() => new Uint8Array(12)),
    /the random source gave the wrong length/,
  );
});

test('capacity: refuses with the space left', () => {
  checkCapacity({ area: 'extended', free: footprint(33) }, 33);
  assert.throws(
    () => checkCapacity({ area: 'local', free: footprint(255) - 1 }, 255),
    (e: { code: string; detail: { free: number; needed: number }; text: { ja: string } }) =>
      e.code === 'AREA_FULL' &&
      e.detail.free === footprint(255) - 1 &&
      e.detail.needed === footprint(255) &&
      e.text.ja.includes('残り'),
  );
});

test('user ID: 13 random bytes, distinct, from the given source only', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const u = newUserId();
    assert.equal(u.length, 13);
    seen.add(Buffer.from(u).toString('hex'));
  }
  assert.equal(seen.size, 1000);
  assert.deepEqual(
    newUserId(() => new Uint8Array(13).fill(7)),
    new Uint8Array(13).fill(7),
  );
  assert.throws(() => newUserId(() => new Uint8Array(12)), RangeError);
});

test('roles: least privilege inside one provider and its terminals', () => {
  const P = 'MAEBASHI' as ProviderId;
  const Q = 'TKC' as ProviderId;
  const T = 'counter-1' as TerminalId;
  const op = (role: Actor['role'], terminals: TerminalId[] = []): Actor => ({
    role,
    providerId: role === 'platform' ? null : P,
    terminals,
  });
  const loader = op('loading_operator', [T]);
  assert.equal(can(loader, 'card.load', { providerId: P, terminalId: T }), true);
  assert.equal(
    can(loader, 'card.load', { providerId: P, terminalId: 'other' as TerminalId }),
    false,
  );
  assert.equal(can(loader, 'card.load', { providerId: P }), false, 'card work needs a terminal');
  assert.equal(can(loader, 'card.load', { providerId: Q, terminalId: T }), false);
  assert.equal(can(loader, 'cardap.request', { providerId: P }), false);
  assert.equal(can(loader, 'hours.override', { providerId: P }), false);
  assert.equal(can(loader, 'audit.read', { providerId: P }), false);
  const admin = op('administrator', [T]);
  assert.equal(can(admin, 'hours.override', { providerId: P }), true);
  assert.equal(can(admin, 'operator.create', { providerId: P, role: 'loading_operator' }), true);
  assert.equal(can(admin, 'operator.create', { providerId: P, role: 'platform' }), false);
  assert.equal(can(admin, 'operator.create', { providerId: Q, role: 'read_only' }), false);
  assert.equal(
    can(admin, 'cardap.approve', { providerId: P }),
    false,
    'only the platform approves',
  );
  assert.equal(can(op('auditor'), 'audit.read', { providerId: P }), true);
  assert.equal(can(op('auditor'), 'card.delete', { providerId: P, terminalId: T }), false);
  assert.equal(can(op('read_only'), 'cardap.read', { providerId: P }), true);
  assert.equal(can(op('read_only'), 'operator.read', { providerId: P }), false);
  const platform = op('platform');
  assert.equal(can(platform, 'cardap.approve', { providerId: P }), true);
  assert.equal(can(platform, 'provider.create'), true);
  assert.equal(can(platform, 'card.load', { providerId: P, terminalId: T }), false);
  assert.equal(
    can({ role: 'administrator', providerId: null, terminals: [] }, 'provider.read'),
    false,
  );
});

test('passwords: scrypt, salted, self-describing; malformed hashes never match', async () => {
  const cost = { N: 1024, r: 8, p: 1 };
  const h = await hashPassword('correct horse battery', cost);
  assert.match(h, /^scrypt\$1024\$8\$1\$/);
  assert.notEqual(h, await hashPassword('correct horse battery', cost));
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  for (const bad of [
    '',
    'scrypt$',
    'bcrypt$1$2$3$4$5',
    h.replace('$1024$', '$1048577$'),
    h.slice(0, -4),
  ])
    assert.equal(await verifyPassword('correct horse battery', bad), false, bad);
});

test('lockout after 5 failures for 15 minutes, then a fresh count', () => {
  const t0 = new Date('2026-06-01T00:00:00Z');
  let s = afterSuccess();
  for (let i = 0; i < 4; i++) s = afterFailure(s, t0);
  assert.equal(isLocked(s, t0), false);
  s = afterFailure(s, t0);
  assert.equal(isLocked(s, t0), true);
  assert.equal(isLocked(s, new Date(t0.getTime() + 15 * 60_000 - 1)), true);
  const later = new Date(t0.getTime() + 15 * 60_000);
  assert.equal(isLocked(s, later), false);
  s = afterFailure(s, later);
  assert.deepEqual(s, { failedLogins: 1, lockedUntil: null });
});

test('session tokens: random, hashed, expiring', () => {
  const a = newSessionToken();
  assert.ok(looksLikeToken(a));
  assert.notEqual(a, newSessionToken());
  assert.equal(tokenHash(a).length, 32);
  for (const bad of ['', 'myna_', 'Bearer x', a + 'x', a.replace('myna_', 'mina_')])
    assert.equal(looksLikeToken(bad), false, bad);
  const now = new Date();
  assert.equal(
    sessionValid({ expiresAt: new Date(now.getTime() + 1), revokedAt: null }, now),
    true,
  );
  assert.equal(sessionValid({ expiresAt: now, revokedAt: null }, now), false);
  assert.equal(
    sessionValid({ expiresAt: new Date(now.getTime() + 1e6), revokedAt: now }, now),
    false,
  );
});

const basis = {
  kind: 'ordinance',
  reference: '前橋市個人番号カード利用条例',
  date: '2018-04-01',
} as const;
const newMuni: NewProvider = {
  id: providerId('MAEBASHI'),
  name: '前橋市',
  kind: 'municipality',
  municipalityCode: MAEBASHI,
  legalBasis: basis,
  contact: { name: '情報政策課' },
};

test('providers: kind, codes, legal basis, representative', () => {
  checkNewProvider(newMuni);
  assert.throws(() => checkNewProvider({ ...newMuni, municipalityCode: '102017' }), {
    code: 'MUNICIPALITY_CODE_INVALID',
  });
  assert.throws(() => checkNewProvider({ ...newMuni, municipalityCode: undefined }), {
    code: 'MUNICIPALITY_CODE_INVALID',
  });
  assert.throws(
    () => checkNewProvider({ ...newMuni, legalBasis: { ...basis, kind: 'conformity' } }),
    { code: 'LEGAL_BASIS_MISMATCH' },
  );
  const priv: NewProvider = {
    id: providerId('TAXI-A'),
    name: 'A交通',
    kind: 'private',
    legalBasis: { kind: 'conformity', reference: '総行住第1号', date: '2020-01-10' },
    contact: { name: '総務部' },
  };
  checkNewProvider(priv);
  assert.throws(() => checkNewProvider({ ...priv, municipalityCode: MAEBASHI }), {
    code: 'MUNICIPALITY_CODE_UNEXPECTED',
  });
  assert.throws(() => checkNewProvider({ ...priv, kind: 'prefecture', legalBasis: basis }), {
    code: 'PREFECTURE_CODE_INVALID',
  });
  checkNewProvider({ ...priv, kind: 'prefecture', prefectureCode: '10', legalBasis: basis });
  assert.throws(
    () =>
      checkNewProvider({ ...priv, kind: 'prefecture', prefectureCode: '48', legalBasis: basis }),
    {
      code: 'PREFECTURE_CODE_INVALID',
    },
  );
  const rep = { canLoad: true, representativeId: null } as unknown as Provider;
  checkNewProvider({ ...priv, representativeId: providerId('REP') }, rep);
  assert.throws(() => checkNewProvider({ ...priv, representativeId: providerId('REP') }), {
    code: 'REPRESENTATIVE_NOT_FOUND',
  });
  assert.throws(
    () =>
      checkNewProvider({ ...priv, representativeId: providerId('REP') }, {
        canLoad: false,
        representativeId: 'X',
      } as unknown as Provider),
    { code: 'REPRESENTATIVE_INVALID' },
  );
  for (const bad of ['', 'lower', 'A'.repeat(17), '-X', 'ÄB', 'A B'])
    assert.throws(() => providerId(bad), { code: 'PROVIDER_ID_INVALID' }, bad);
});

test('AID ranges: prefix per provider, 256 AIDs each', () => {
  const p = aidPrefixFor(0x0102);
  assert.equal(Buffer.from(p).toString('hex'), 'f04d594e41500102');
  const a = aidInRange(p, 0xff);
  assert.equal(a.length, 9);
  assert.ok(aidBelongsTo(a, p));
  assert.ok(!aidBelongsTo(a, aidPrefixFor(0x0103)));
  assert.throws(() => aidInRange(p, 256), { code: 'AID_RANGE_EXHAUSTED' });
  assert.throws(() => aidPrefixFor(0), RangeError);
  assert.throws(() => aidPrefixFor(65536), RangeError);
});

test('card AP requests: sizes, PINs, custom input files and templates', () => {
  const req = (x: object) => cardApRequestSchema.parse({ name: 'x', areas: ['extended'], ...x });
  assert.deepEqual(checkRequest(req({ type: 'C', size: 33 })), {
    read: 'free',
    write: 'auth',
    pin: null,
    efs: null,
  });
  assert.throws(() => checkRequest(req({ type: 'C', size: 34 })), { code: 'CARDAP_TOO_LARGE' });
  assert.throws(() => checkRequest(req({ type: 'C', size: 20, initialData: '00'.repeat(8) })), {
    code: 'CARDAP_DATA_TOO_LARGE',
  });
  assert.throws(() => checkRequest(req({ type: 'C', size: 33, pin: { fixed: true, tries: 3 } })), {
    code: 'CARDAP_PIN_UNEXPECTED',
  });
  assert.equal(checkRequest(req({ type: 'D', size: 255 })).read, 'auth_pin_encrypted');
  assert.deepEqual(
    checkRequest(req({ type: 'A', size: 255, pin: { fixed: true, tries: 5 } })).pin,
    {
      fixed: true,
      tries: 5,
    },
  );
  assert.throws(() => checkRequest(req({ type: 'A', size: 255, template: 'single-protected' })), {
    code: 'CARDAP_INPUT_UNEXPECTED',
  });
  assert.equal(
    checkRequest(req({ type: 'custom', size: 600, template: 'single-protected' })).efs?.length,
    1,
  );
  assert.throws(() => checkRequest(req({ type: 'custom', size: 600 })), {
    code: 'CARDAP_CUSTOM_NEEDS_INPUT',
  });
  assert.throws(() => checkRequest(req({ type: 'custom', size: 600, template: 'nope' })), {
    code: 'CARDAP_TEMPLATE_UNKNOWN',
  });
  assert.throws(
    () => checkRequest(req({ type: 'custom', size: 600, template: 'free-and-encrypted' })),
    {
      code: 'CARDAP_EFS_TOO_LARGE',
    },
  );
  const efs = (list: object[]) => req({ type: 'custom', size: 200, inputFile: { efs: list } });
  assert.throws(
    () =>
      checkRequest(
        efs([
          { fid: 1, size: 20, access: 'free' },
          { fid: 1, size: 20, access: 'free' },
        ]),
      ),
    { code: 'CARDAP_EF_DUPLICATE' },
  );
  assert.throws(() => checkRequest(efs([{ fid: 1, size: 12, access: 'free' }])), {
    code: 'CARDAP_FIRST_EF_TOO_SMALL',
  });
  assert.equal(checkRequest(efs([{ fid: 1, size: 13, access: 'free' }])).pin, null);
  assert.throws(() => req({ type: 'C', size: 33, areas: ['local', 'local'] }));
  assert.throws(() => req({ type: 'B', size: 33 }));
  assert.throws(() => req({ type: 'C', size: 33, extra: 1 }));
  assert.throws(() => req({ type: 'C', size: 33, initialData: 'abc' }));
});

test('card AP lifecycle and loadability', () => {
  checkTransition('requested', 'approved');
  checkTransition('approved', 'suspended');
  checkTransition('suspended', 'approved');
  checkTransition('suspended', 'retired');
  assert.throws(() => checkTransition('retired', 'approved'), { code: 'CARDAP_BAD_TRANSITION' });
  assert.throws(() => checkTransition('requested', 'suspended'), { code: 'CARDAP_BAD_TRANSITION' });
  checkLoadable('approved', ['extended'], 'extended');
  assert.throws(() => checkLoadable('suspended', ['extended'], 'extended'), {
    code: 'CARDAP_NOT_LOADABLE',
  });
  assert.throws(() => checkLoadable('approved', ['extended'], 'local'), {
    code: 'CARDAP_WRONG_AREA',
  });
});

test('saga: transitions and reconciliation after an interruption', () => {
  assert.equal(transition('pending', 'installed'), 'loaded');
  assert.equal(transition('pending', 'install_refused'), 'failed');
  assert.equal(transition('loaded', 'delete_started'), 'deleting');
  assert.equal(transition('deleting', 'deleted'), 'deleted');
  assert.equal(transition('loaded', 'installed'), undefined);
  assert.equal(transition('deleted', 'delete_started'), undefined);
  assert.equal(transition('failed', 'installed'), undefined);
  assert.deepEqual(reconcile('pending', 'present'), { state: 'loaded', action: 'none' });
  assert.deepEqual(reconcile('pending', 'absent'), { state: 'failed', action: 'none' });
  assert.deepEqual(reconcile('pending', 'foreign'), { state: 'failed', action: 'report_conflict' });
  assert.deepEqual(reconcile('deleting', 'present'), {
    state: 'deleting',
    action: 'resend_delete',
  });
  assert.deepEqual(reconcile('deleting', 'absent'), { state: 'deleted', action: 'none' });
  assert.deepEqual(reconcile('loaded', 'absent'), { state: 'loaded', action: 'report_missing' });
  assert.deepEqual(reconcile('deleted', 'present'), { state: 'deleted', action: 'none' });
});
