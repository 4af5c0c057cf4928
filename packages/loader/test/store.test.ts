import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '@myna-ap/db';
import type { Db } from '@myna-ap/db';
import type { Ctx } from '../src/store/context.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';

const TEST_KEYS = new MemoryKeyStore('test');
import {
  createProvider,
  getProvider,
  listProviders,
  setProviderStatus,
} from '../src/store/providers.ts';
import {
  authenticate,
  bootstrapPlatformAdmin,
  createOperator,
  listOperators,
  login,
  logout,
} from '../src/store/operators.ts';
import { createTerminal } from '../src/store/terminals.ts';
import {
  addCardApUser,
  approveCardAp,
  listCardAps,
  requestCardAp,
  requestNewVersion,
  setCardApStatus,
} from '../src/store/cardAps.ts';
import {
  listInstances,
  recordConsent,
  recoverInstance,
  settle,
  unfinishedInstances,
} from '../src/store/instances.ts';
import { verifyAudit, listAudit, sequenceAllAudit } from '../src/store/audit.ts';
import { providerId, type CardApId, type CardId, type TerminalId } from '../src/domain/ids.ts';
import { freshPglite, skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';
import { reserve } from './reserve.ts';
import { reserveLoad } from '../src/store/instances.ts';
import {
  isReservable,
  planLoad,
  type LoadPlan,
  type ReservableCardAp,
} from '../src/store/loadPlan.ts';

const MAEBASHI = '102016';
const TAKASAKI = '102024';
const PW = 'long enough password';

async function scenario(db: Db): Promise<void> {
  let clock = new Date('2026-06-01T10:00:00+09:00');
  const ctx: Ctx = { db, config: TEST_CONFIG, keys: TEST_KEYS, now: () => clock };
  const boot = await bootstrapPlatformAdmin(ctx, 'platform admin pw');
  assert.equal(boot?.login, 'admin');
  assert.equal(await bootstrapPlatformAdmin(ctx), undefined, 'only once');
  const platform = await authenticate(ctx, (await login(ctx, 'admin', 'platform admin pw')).token);

  const maebashi = await createProvider(ctx, platform, {
    id: providerId('MAEBASHI'),
    name: '前橋市',
    kind: 'municipality',
    municipalityCode: MAEBASHI,
    legalBasis: { kind: 'ordinance', reference: '前橋市条例第1号', date: '2018-04-01' },
    contact: { name: '情報政策課', email: 'it@example.jp' },
  });
  const taxi = await createProvider(ctx, platform, {
    id: providerId('TAXI-A'),
    name: 'A交通',
    kind: 'private',
    legalBasis: { kind: 'conformity', reference: '総行住第1号', date: '2020-01-10' },
    contact: { name: '総務部' },
  });
  const store = await createProvider(ctx, platform, {
    id: providerId('TAXI-A-STORE1'),
    name: 'A交通 提携店1',
    kind: 'private',
    legalBasis: { kind: 'conformity', reference: '総行住第2号', date: '2020-01-10' },
    contact: { name: '店長' },
    representativeId: taxi.id,
  });
  assert.equal(store.canLoad, false);
  assert.notDeepEqual(maebashi.aidPrefix, taxi.aidPrefix);
  await assert.rejects(
    createProvider(ctx, platform, { ...taxiInput(), id: providerId('TAXI-A') }),
    {
      code: 'PROVIDER_EXISTS',
    },
  );

  // Provider administrator, terminal, loading operator.
  await assert.rejects(
    createOperator(ctx, platform, {
      login: 'shortpw',
      displayName: 'x',
      role: 'administrator',
      providerId: maebashi.id,
      password: 'short',
      terminals: [],
    }),
    { code: 'PASSWORD_TOO_SHORT' },
  );
  await createOperator(ctx, platform, {
    login: 'mae-admin',
    displayName: '前橋 管理者',
    role: 'administrator',
    providerId: maebashi.id,
    password: PW,
    terminals: [],
  });
  const admin = await authenticate(ctx, (await login(ctx, 'mae-admin', PW)).token);
  const T = 'mae-counter-1' as TerminalId;
  await createTerminal(ctx, admin, {
    id: T,
    providerId: maebashi.id,
    name: '市民課窓口1',
    autoLoad: [],
  });
  await assert.rejects(
    createTerminal(ctx, admin, {
      id: 'x' as TerminalId,
      providerId: taxi.id,
      name: 'x',
      autoLoad: [],
    }),
    { code: 'FORBIDDEN' },
  );
  await createOperator(ctx, admin, {
    login: 'mae-op',
    displayName: '前橋 搭載',
    role: 'loading_operator',
    providerId: maebashi.id,
    password: PW,
    terminals: [T],
  });
  await assert.rejects(
    createOperator(ctx, admin, {
      login: 'sneaky',
      displayName: 'x',
      role: 'platform',
      providerId: null,
      password: PW,
      terminals: [],
    }),
    { code: 'FORBIDDEN' },
  );
  assert.equal((await listOperators(ctx, admin)).length, 2);
  const opToken = (await login(ctx, 'mae-op', PW)).token;
  const op = await authenticate(ctx, opToken);
  assert.deepEqual(op.terminals, [T]);
  assert.deepEqual(
    (await listProviders(ctx, op)).map((p) => p.id),
    ['MAEBASHI'],
  );
  await assert.rejects(getProvider(ctx, op, 'TAXI-A'), { code: 'NOT_FOUND' });

  // Lockout: 5 wrong passwords, then even the right one is refused.
  for (let i = 0; i < 5; i++)
    await assert.rejects(login(ctx, 'mae-op', 'wrong password!'), { code: 'LOGIN_FAILED' });
  await assert.rejects(login(ctx, 'mae-op', PW), { code: 'ACCOUNT_LOCKED' });
  clock = new Date(clock.getTime() + 16 * 60_000);
  await login(ctx, 'mae-op', PW);
  await assert.rejects(login(ctx, 'nobody', PW), { code: 'LOGIN_FAILED' });
  // Sessions expire and can be revoked.
  const later = { ...ctx, now: () => new Date(clock.getTime() + TEST_CONFIG.sessionTtlMs) };
  await assert.rejects(authenticate(later, opToken), { code: 'UNAUTHENTICATED' });
  const t2 = (await login(ctx, 'mae-op', PW)).token;
  await logout(ctx, await authenticate(ctx, t2), t2);
  await assert.rejects(authenticate(ctx, t2), { code: 'UNAUTHENTICATED' });
  await assert.rejects(authenticate(ctx, 'myna_' + 'A'.repeat(43)), { code: 'UNAUTHENTICATED' });

  // Card AP registry.
  await assert.rejects(
    requestCardAp(ctx, op, maebashi.id, { name: 'x', type: 'C', areas: ['local'], size: 33 }),
    { code: 'FORBIDDEN' },
  );
  const lib = await requestCardAp(ctx, admin, maebashi.id, {
    name: '図書館カード',
    type: 'C',
    areas: ['local', 'extended'],
    size: 33,
  });
  assert.equal(lib.status, 'requested');
  assert.equal(lib.aid, null);
  await assert.rejects(approveCardAp(ctx, admin, lib.id), { code: 'FORBIDDEN' });
  const approved = await approveCardAp(ctx, platform, lib.id);
  assert.equal(approved.status, 'approved');
  assert.equal(
    approved.aid,
    Buffer.from([...maebashi.aidPrefix, 0])
      .toString('hex')
      .toUpperCase(),
  );
  assert.equal(approved.version, 1);
  assert.equal(approved.access?.read, 'free');
  await assert.rejects(approveCardAp(ctx, platform, lib.id), { code: 'CARDAP_NOTHING_TO_APPROVE' });
  const staff = await requestCardAp(ctx, admin, maebashi.id, {
    name: '職員証',
    type: 'D',
    areas: ['extended'],
    size: 255,
  });
  const staffOk = await approveCardAp(ctx, platform, staff.id, { size: 200 });
  assert.equal(staffOk.size, 200);
  assert.ok(staffOk.aid?.endsWith('01'), 'second AID of the range');
  await assert.rejects(approveCardAp(ctx, platform, staff.id, { size: 300 }), {
    code: 'CARDAP_NOTHING_TO_APPROVE',
  });
  await requestNewVersion(ctx, admin, staff.id, {
    name: '職員証',
    type: 'D',
    areas: ['extended'],
    size: 255,
  });
  const v2 = await approveCardAp(ctx, platform, staff.id);
  assert.equal(v2.version, 2);
  assert.equal(v2.aid, staffOk.aid, 'a new version keeps its AID');
  await setCardApStatus(ctx, admin, staff.id, 'suspended');
  await setCardApStatus(ctx, admin, staff.id, 'approved');
  await assert.rejects(setCardApStatus(ctx, admin, staff.id, 'retired'), { code: 'FORBIDDEN' });
  await setCardApStatus(ctx, platform, staff.id, 'retired');
  await assert.rejects(setCardApStatus(ctx, platform, staff.id, 'approved'), {
    code: 'CARDAP_BAD_TRANSITION',
  });

  // Representative + partner store, and joint use.
  const taxiAp = await requestCardAp(ctx, platform, taxi.id, {
    name: 'マイタク',
    type: 'C',
    areas: ['extended'],
    size: 33,
  }).catch((e) => e);
  assert.equal(taxiAp.code, 'FORBIDDEN', 'the platform does not request for a provider');
  await createOperator(ctx, platform, {
    login: 'taxi-admin',
    displayName: 'A交通 管理者',
    role: 'administrator',
    providerId: taxi.id,
    password: PW,
    terminals: [],
  });
  const taxiAdmin = await authenticate(ctx, (await login(ctx, 'taxi-admin', PW)).token);
  const mytaku = await approveCardAp(
    ctx,
    platform,
    (
      await requestCardAp(ctx, taxiAdmin, taxi.id, {
        name: 'マイタク',
        type: 'C',
        areas: ['extended'],
        size: 33,
      })
    ).id,
  );
  await addCardApUser(ctx, platform, mytaku.id, store.id, 'partner');
  await assert.rejects(addCardApUser(ctx, platform, mytaku.id, maebashi.id, 'partner'), {
    code: 'PARTNER_NOT_OF_REPRESENTATIVE',
  });
  const joint = await addCardApUser(ctx, platform, mytaku.id, maebashi.id, 'joint');
  assert.deepEqual(joint.users.map((u) => u.providerId).sort(), ['MAEBASHI', 'TAXI-A-STORE1']);
  assert.ok(
    (await listCardAps(ctx, admin)).some((a) => a.id === mytaku.id),
    'joint user sees it',
  );
  assert.ok(!(await listCardAps(ctx, taxiAdmin)).some((a) => a.id === lib.id));

  // The saga's first step: rules, consent, user ID, no duplicates.
  const op2 = await authenticate(ctx, (await login(ctx, 'mae-op', PW)).token);
  const card = 'CARD-0001' as CardId;
  const base = {
    cardId: card,
    cardApId: lib.id as CardApId,
    terminalId: T,
    holderMunicipality: MAEBASHI,
  };
  await assert.rejects(
    reserve(ctx, op2, { ...base, area: 'local', consentId: 'cs_none' as never }),
    { code: 'CONSENT_REQUIRED' },
  );
  const consentId = await recordConsent(ctx, op2, T, {
    cardId: card,
    cardApId: lib.id,
    purpose: 'load',
    method: 'counter_form',
  });
  await assert.rejects(
    reserve(ctx, op2, { ...base, area: 'local', consentId, holderMunicipality: TAKASAKI }),
    { code: 'AREA_LOCAL_NOT_RESIDENT' },
  );
  await assert.rejects(
    reserve(ctx, op2, {
      ...base,
      area: 'local',
      consentId,
      terminalId: 'elsewhere' as TerminalId,
    }),
    { code: 'FORBIDDEN' },
  );
  const night = { ...ctx, now: () => new Date('2026-06-01T23:00:00+09:00') };
  await assert.rejects(reserve(night, op2, { ...base, area: 'local', consentId }), {
    code: 'OUTSIDE_SERVICE_HOURS',
  });
  await assert.rejects(
    reserve(night, op2, { ...base, area: 'local', consentId, overrideHours: true }),
    {
      code: 'FORBIDDEN',
    },
  );
  // A random source that repeats itself: the second load draws again.
  let draws = 0;
  const stuck = (n: number) => {
    draws++;
    return draws <= 2 ? new Uint8Array(n).fill(0xaa) : new Uint8Array(n).fill(draws);
  };
  const inst = await reserve(ctx, op2, { ...base, area: 'local', consentId, random: stuck });
  assert.equal(inst.state, 'pending');
  assert.equal(inst.userId, 'AA'.repeat(13));
  await assert.rejects(reserve(ctx, op2, { ...base, area: 'local', consentId }), {
    code: 'ALREADY_LOADED',
  });
  const card2 = 'CARD-0002' as CardId;
  const c2 = await recordConsent(ctx, op2, T, {
    cardId: card2,
    cardApId: lib.id,
    purpose: 'load',
    method: 'counter_form',
  });
  const inst2 = await reserve(ctx, op2, {
    ...base,
    cardId: card2,
    area: 'extended',
    consentId: c2,
    holderMunicipality: TAKASAKI,
    random: stuck,
  });
  assert.notEqual(inst2.userId, inst.userId, 'collision retried');
  assert.equal(draws, 3);
  const alwaysSame = (n: number) => new Uint8Array(n).fill(0xaa);
  const card3 = 'CARD-0003' as CardId;
  const c3 = await recordConsent(ctx, op2, T, {
    cardId: card3,
    cardApId: lib.id,
    purpose: 'load',
    method: 'counter_form',
  });
  await assert.rejects(
    reserve(ctx, op2, {
      ...base,
      cardId: card3,
      area: 'extended',
      consentId: c3,
      random: alwaysSame,
    }),
    { code: 'USER_ID_EXHAUSTED' },
  );
  // Settle through the saga; a deleted instance frees the slot, never its user ID.
  assert.equal((await settle(ctx, op2.operatorId, inst.id, 'installed', 'verify')).state, 'loaded');
  await assert.rejects(settle(ctx, op2.operatorId, inst.id, 'installed', null), {
    code: 'SAGA_BAD_EVENT',
  });
  await settle(ctx, op2.operatorId, inst.id, 'delete_started', 'delete');
  assert.equal((await settle(ctx, op2.operatorId, inst.id, 'deleted', 'delete')).state, 'deleted');
  const again = await reserve(ctx, op2, {
    ...base,
    area: 'local',
    consentId,
    random: alwaysSame,
  }).catch((e) => e);
  assert.equal(again.code, 'USER_ID_EXHAUSTED', 'the deleted instance’s user ID stays spent');
  const fresh = await reserve(ctx, op2, { ...base, area: 'local', consentId });
  assert.equal(fresh.state, 'pending');
  assert.equal((await listInstances(ctx, op2, card)).length, 2);

  // Recovery after an interruption: the card says what it holds, the DB follows.
  const cardR = 'CARD-RECOVER' as CardId;
  const cr = await recordConsent(ctx, op2, T, {
    cardId: cardR,
    cardApId: lib.id,
    purpose: 'load',
    method: 'counter_form',
  });
  const landed = await reserve(ctx, op2, {
    ...base,
    cardId: cardR,
    area: 'local',
    consentId: cr,
  });
  assert.deepEqual(
    (await unfinishedInstances(ctx, cardR)).map((i) => i.id),
    [landed.id],
  );
  const fwd = await recoverInstance(ctx, 'system', landed.id, 'present');
  assert.deepEqual([fwd.instance.state, fwd.action], ['loaded', 'none']);
  assert.equal(fwd.instance.step, 'recovered:present');
  assert.deepEqual(await unfinishedInstances(ctx, cardR), []);
  const missing = await recoverInstance(ctx, 'system', landed.id, 'absent');
  assert.deepEqual([missing.instance.state, missing.action], ['loaded', 'report_missing']);
  await settle(ctx, op2.operatorId, landed.id, 'delete_started', 'delete');
  const again2 = await recoverInstance(ctx, 'system', landed.id, 'present');
  assert.deepEqual([again2.instance.state, again2.action], ['deleting', 'resend_delete']);
  assert.equal(
    (await recoverInstance(ctx, 'system', landed.id, 'absent')).instance.state,
    'deleted',
  );
  const lost = await reserve(ctx, op2, {
    ...base,
    cardId: cardR,
    area: 'local',
    consentId: cr,
  });
  const back = await recoverInstance(ctx, 'system', lost.id, 'foreign');
  assert.deepEqual([back.instance.state, back.action], ['failed', 'report_conflict']);

  // A load decides once. What its plan stood on changing before the reservation
  // commits — the card AP suspended, a new version approved, the provider
  // suspended — is refused with the error a fresh plan gives, and nothing is written.
  const card4 = 'CARD-0004' as CardId;
  const planNow = () =>
    planLoad(ctx, op2, {
      terminalId: T,
      items: [{ cardApId: lib.id as CardApId, area: 'extended' }],
      consent: { method: 'counter_form' },
      holderMunicipality: MAEBASHI,
    });
  const only = (p: LoadPlan): ReservableCardAp => {
    const item = p.items[0]!;
    assert.ok(isReservable(item), item.refusal?.code);
    return item;
  };
  const seen = { cardId: card4, municipality: null };
  const beforeSuspension = await planNow();
  await setCardApStatus(ctx, admin, lib.id, 'suspended');
  assert.equal((await planNow()).items[0]?.refusal?.code, 'CARDAP_NOT_LOADABLE');
  await assert.rejects(reserveLoad(ctx, beforeSuspension, only(beforeSuspension), seen), {
    code: 'CARDAP_NOT_LOADABLE',
  });
  await setCardApStatus(ctx, admin, lib.id, 'approved');
  const beforeV2 = await planNow();
  assert.equal(only(beforeV2).version.number, 1);
  await requestNewVersion(ctx, admin, lib.id, {
    name: '図書館カード',
    type: 'C',
    areas: ['local', 'extended'],
    size: 33,
  });
  await approveCardAp(ctx, platform, lib.id);
  await assert.rejects(reserveLoad(ctx, beforeV2, only(beforeV2), seen), {
    code: 'CARDAP_VERSION_CHANGED',
  });
  const beforeProviderSuspension = await planNow();
  assert.equal(only(beforeProviderSuspension).version.number, 2);
  await setProviderStatus(ctx, platform, maebashi.id, 'suspended');
  await assert.rejects(
    reserveLoad(ctx, beforeProviderSuspension, only(beforeProviderSuspension), seen),
    { code: 'PROVIDER_NOT_ACTIVE' },
  );
  assert.deepEqual(await listInstances(ctx, op2, card4), []);
  await setProviderStatus(ctx, platform, maebashi.id, 'active');

  // Suspending a provider stops its loads.
  await setProviderStatus(ctx, platform, maebashi.id, 'suspended');
  await assert.rejects(
    reserve(ctx, op2, { ...base, cardId: card2, area: 'local', consentId: c2 }),
    { code: 'PROVIDER_NOT_ACTIVE' },
  );

  // Everything above is in one unbroken audit chain.
  const v = await verifyAudit(db);
  assert.equal(v.ok, true);
  await sequenceAllAudit(db);
  const actions = new Set((await listAudit(db, { limit: 1000 })).map((r) => r.action));
  for (const a of [
    'provider.create',
    'operator.create',
    'login.failure',
    'login.refused',
    'cardap.approve',
    'consent.record',
    'load.reserve',
    'instance.deleted',
    'provider.status',
  ])
    assert.ok(actions.has(a), a);
}

function taxiInput() {
  return {
    id: providerId('TAXI-A'),
    name: 'A交通',
    kind: 'private' as const,
    legalBasis: { kind: 'conformity' as const, reference: 'x', date: '2020-01-10' },
    contact: { name: 'x' },
  };
}

test('store on PGlite: providers, operators, sessions, registry, reservation, audit', async () => {
  const db = await freshPglite([loaderMigrations]);
  try {
    await scenario(db);
  } finally {
    await db.close();
  }
});

test('store on PostgreSQL: the same scenario', { skip: skipUnlessPostgres() }, async () => {
  const pg = await startPostgres();
  try {
    const db = await openDb({ databaseUrl: pg.url, migrations: [loaderMigrations] });
    try {
      await scenario(db);
    } finally {
      await db.close();
    }
  } finally {
    await pg.stop();
  }
});
