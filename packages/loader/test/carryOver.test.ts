/**
 * 再交付・更新時のカードAP引継ぎ against real emulated cards: the old card's card
 * APs go onto the renewed card in one step, under their own providers, with new
 * user IDs and a notice naming the old and new ones; what a provider does not
 * allow is refused with why; a second run carries what the first left and never
 * loads twice; a card pulled mid-way is settled by the next run; the old card
 * comes only from the issuer's link. Plus the pure rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transmit } from '@myna-ap/apdu';
import { freeAreaUsage, type Card } from '@myna-ap/card';
import { loadOnCard } from '../src/cardops/load.ts';
import { carryOver } from '../src/cardops/carryOver.ts';
import { carryOverRefusal, checkSuccession } from '../src/domain/rules/carryOver.ts';
import { setCardApCarryOver, approveCardAp, requestCardAp } from '../src/store/cardAps.ts';
import { createProvider } from '../src/store/providers.ts';
import { authenticate, createOperator, login } from '../src/store/operators.ts';
import { createTerminal } from '../src/store/terminals.ts';
import { verifyAudit } from '../src/store/audit.ts';
import { providerId, type TerminalId } from '../src/domain/ids.ts';
import type { Ctx } from '../src/store/context.ts';
import { LoaderError } from '../src/errors.ts';
import { T, cardIdOf, newCard, world, type World } from './cardWorld.ts';
import { assertAgreement, cutAt, HOLDER_PIN } from './agreement.ts';

const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);
const consent = { method: 'counter_form' as const };
const SHOP_T = 'shop-1' as TerminalId;

/** A private provider (a shopping street) with its own card AP in 拡張利用領域 and a counter. */
async function shop(w: World) {
  const p = await createProvider(w.ctx, w.platform, {
    id: providerId('SHOP'),
    name: '商店街',
    kind: 'private',
    legalBasis: { kind: 'conformity', reference: '法基準適合性確認', date: '2020-04-01' },
    contact: { name: '事務局' },
  });
  const pw = 'operator password 1';
  await createOperator(w.ctx, w.platform, {
    login: 'shop-admin',
    displayName: '管理者',
    role: 'administrator',
    providerId: p.id,
    password: pw,
    terminals: [],
  });
  const admin0 = await authenticate(w.ctx, (await login(w.ctx, 'shop-admin', pw)).token);
  await createTerminal(w.ctx, admin0, { id: SHOP_T, providerId: p.id, name: '店頭', autoLoad: [] });
  await createOperator(w.ctx, admin0, {
    login: 'shop-op',
    displayName: '店員',
    role: 'loading_operator',
    providerId: p.id,
    password: pw,
    terminals: [SHOP_T],
  });
  const op = await authenticate(w.ctx, (await login(w.ctx, 'shop-op', pw)).token);
  const ap = await requestCardAp(w.ctx, admin0, p.id, {
    name: 'ポイント',
    type: 'C',
    areas: ['extended'],
    size: 20,
  });
  await approveCardAp(w.ctx, w.platform, ap.id);
  return { admin: admin0, op, ap: ap.id };
}

/** The issuer's link, as `myna serve --jpki` gives it: new card → old card. */
function linked(w: World, links: Map<string, string>): Ctx {
  return { ...w.ctx, previousCardOf: (id) => Promise.resolve(links.get(id)) };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof LoaderError) return e.code;
    throw e;
  }
}

async function oldCardWithFour(w: World, s: Awaited<ReturnType<typeof shop>>) {
  const old = await newCard();
  const a = await loadOnCard(w.ctx, w.op, tx(old), {
    terminalId: T,
    consent,
    items: [{ cardApId: w.aps.C }, { cardApId: w.aps.A, pin: HOLDER_PIN }, { cardApId: w.aps.D }],
  });
  const b = await loadOnCard(w.ctx, s.op, tx(old), {
    terminalId: SHOP_T,
    consent,
    items: [{ cardApId: s.ap }],
  });
  const users = new Map([...a.results, ...b.results].map((r) => [r.cardApId, r.userId!]));
  assert.equal(users.size, 4);
  return { old, users };
}

test('carry-over: the allowed card APs go onto the renewed card with new user IDs, the providers are told old and new', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const s = await shop(w);
  const { old, users } = await oldCardWithFour(w, s);
  for (const ap of [w.aps.C, w.aps.A, w.aps.D]) {
    await setCardApCarryOver(w.ctx, w.admin, ap, true);
  }
  const renewed = await newCard();
  const ctx = linked(w, new Map([[cardIdOf(renewed), cardIdOf(old)]]));

  // The holder chose a PIN for the type A card AP; the shop has not allowed it.
  const out = await carryOver(ctx, w.op, tx(renewed), {
    terminalId: T,
    consent,
    pins: { [w.aps.A]: HOLDER_PIN },
  });
  assert.equal(out.cardId, cardIdOf(renewed));
  assert.equal(out.fromCardId, cardIdOf(old));
  const by = new Map(out.results.map((r) => [r.cardApId, r]));
  assert.deepEqual(
    [w.aps.C, w.aps.A, w.aps.D, s.ap].map((id) => [by.get(id)?.status, by.get(id)?.error?.code]),
    [
      ['loaded', undefined],
      ['loaded', undefined],
      ['loaded', undefined],
      ['refused', 'CARRY_OVER_NOT_ALLOWED'],
    ],
  );
  assert.equal(by.get(s.ap)?.providerId, 'SHOP');
  for (const id of [w.aps.C, w.aps.A, w.aps.D]) {
    const r = by.get(id)!;
    assert.equal(r.fromUserId, users.get(id), 'names the old user ID');
    assert.match(r.userId!, /^[0-9A-F]{26}$/);
    assert.notEqual(r.userId, users.get(id), 'a new user ID, never the old one');
  }
  assert.equal(freeAreaUsage(renewed.image).extended.cardAps, 2);
  assert.equal(freeAreaUsage(renewed.image).local.cardAps, 1);
  // Card and database agree, the PIN the holder chose opens the type A card AP.
  await assertAgreement(w.db, w.ctx.keys, renewed, 'after the carry-over', { readBack: true });

  // One notice per carried card AP, to its provider, with both user IDs and cards.
  const notices = await w.db.query<{
    provider_id: string;
    card_id: string;
    detail: { cardApId: string; userId: string; oldUserId: string; oldCardId: string };
  }>(
    "SELECT provider_id, card_id, detail FROM provider_notices WHERE kind = 'card_ap_carried' ORDER BY seq",
  );
  // (Local area first, as a load goes: the order is the card's, not the old card's.)
  assert.deepEqual(
    notices.rows
      .map((n) => [n.provider_id, n.card_id, n.detail.cardApId, n.detail.oldCardId])
      .sort(),
    [w.aps.C, w.aps.A, w.aps.D]
      .map((id) => ['CHIYODA', cardIdOf(renewed), id, cardIdOf(old)])
      .sort(),
  );
  for (const n of notices.rows) {
    assert.equal(n.detail.oldUserId, users.get(n.detail.cardApId));
    assert.equal(n.detail.userId, by.get(n.detail.cardApId)!.userId);
  }
  // The consent is recorded under each card AP's own provider, by the counter's operator.
  const consents = await w.db.query<{ provider_id: string; recorded_by: string; note: string }>(
    'SELECT provider_id, recorded_by, note FROM consents WHERE card_id = $1',
    [cardIdOf(renewed)],
  );
  assert.equal(consents.rows.length, 3);
  for (const c of consents.rows) {
    assert.equal(c.provider_id, 'CHIYODA');
    assert.equal(c.recorded_by, w.op.operatorId);
    assert.match(c.note, /carry-over from card/);
  }

  // Again: nothing loads twice. Then the shop allows its card AP: only it goes on.
  const again = await carryOver(ctx, w.op, tx(renewed), { terminalId: T, consent });
  assert.deepEqual(again.results.map((r) => r.error?.code).sort(), [
    'ALREADY_CARRIED_OVER',
    'ALREADY_CARRIED_OVER',
    'ALREADY_CARRIED_OVER',
    'CARRY_OVER_NOT_ALLOWED',
  ]);
  // Only the owner's administrator decides for its card AP.
  assert.equal(await code(setCardApCarryOver(w.ctx, w.admin, s.ap, true)), 'NOT_FOUND');
  assert.equal(await code(setCardApCarryOver(w.ctx, s.op, s.ap, true)), 'FORBIDDEN');
  await setCardApCarryOver(w.ctx, s.admin, s.ap, true);
  const third = await carryOver(ctx, w.op, tx(renewed), { terminalId: T, consent });
  const shopRow = third.results.find((r) => r.cardApId === s.ap)!;
  assert.equal(shopRow.status, 'loaded');
  const shopNotice = await w.db.query<{ provider_id: string }>(
    "SELECT provider_id FROM provider_notices WHERE kind = 'card_ap_carried' AND instance_id = $1",
    [shopRow.instanceId],
  );
  assert.deepEqual(
    shopNotice.rows.map((r) => r.provider_id),
    ['SHOP'],
  );
  await assertAgreement(w.db, w.ctx.keys, renewed, 'after the third run');
  assert.equal((await verifyAudit(w.db)).ok, true);
});

test('carry-over refusals: no link, no records of the issuer, not a municipality, nothing on the old card, a PIN not chosen', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const s = await shop(w);
  const { old } = await oldCardWithFour(w, s);
  await setCardApCarryOver(w.ctx, w.admin, w.aps.A, true);
  await setCardApCarryOver(w.ctx, w.admin, w.aps.C, true);
  const renewed = await newCard();
  const req = { terminalId: T, consent };

  assert.equal(await code(carryOver(w.ctx, w.op, tx(renewed), req)), 'CARD_SUCCESSION_UNAVAILABLE');
  const none = linked(w, new Map());
  assert.equal(await code(carryOver(none, w.op, tx(renewed), req)), 'CARD_SUCCESSION_UNKNOWN');
  // A damaged link (not a card serial) names no card.
  const damaged = linked(w, new Map([[cardIdOf(renewed), 'not a card']]));
  assert.equal(await code(carryOver(damaged, w.op, tx(renewed), req)), 'CARD_SUCCESSION_UNKNOWN');
  const ctx = linked(w, new Map([[cardIdOf(renewed), cardIdOf(old)]]));
  // A shop's counter does not carry over, even its own card AP.
  assert.equal(
    await code(carryOver(ctx, s.op, tx(renewed), { terminalId: SHOP_T, consent })),
    'MUNICIPALITY_COUNTER_ONLY',
  );
  // An operator not bound to that terminal.
  assert.equal(
    await code(
      carryOver(ctx, w.op, tx(renewed), { terminalId: 'counter-9' as TerminalId, consent }),
    ),
    'FORBIDDEN',
  );
  // The old card held nothing: said so.
  const empty = await newCard();
  const emptyRenewed = await newCard();
  const ctx2 = linked(w, new Map([[cardIdOf(emptyRenewed), cardIdOf(empty)]]));
  assert.equal(await code(carryOver(ctx2, w.op, tx(emptyRenewed), req)), 'NOTHING_TO_CARRY_OVER');

  // Type A with no PIN chosen: refused before a user ID is spent; the rest goes on.
  const out = await carryOver(ctx, w.op, tx(renewed), req);
  const by = new Map(out.results.map((r) => [r.cardApId, r]));
  assert.equal(by.get(w.aps.A)?.error?.code, 'CARDAP_PIN_REQUIRED');
  assert.equal(by.get(w.aps.A)?.instanceId, undefined);
  assert.equal(by.get(w.aps.C)?.status, 'loaded');
  assert.equal(by.get(w.aps.D)?.error?.code, 'CARRY_OVER_NOT_ALLOWED');
  // With the PIN, the next run carries it.
  const next = await carryOver(ctx, w.op, tx(renewed), { ...req, pins: { [w.aps.A]: HOLDER_PIN } });
  assert.equal(next.results.find((r) => r.cardApId === w.aps.A)?.status, 'loaded');
  await assertAgreement(w.db, w.ctx.keys, renewed, 'refusals');
});

test('carry-over cut at every APDU: the card and the database agree, the next run finishes, no card AP twice', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  await setCardApCarryOver(w.ctx, w.admin, w.aps.C, true);
  await setCardApCarryOver(w.ctx, w.admin, w.aps.D, true);
  /** A renewed card and the old card it replaced, holding C (extended) and D (local). */
  const pair = async () => {
    const old = await newCard();
    await loadOnCard(w.ctx, w.op, tx(old), {
      terminalId: T,
      consent,
      items: [{ cardApId: w.aps.C }, { cardApId: w.aps.D }],
    });
    const renewed = await newCard();
    return { renewed, ctx: linked(w, new Map([[cardIdOf(renewed), cardIdOf(old)]])) };
  };
  // How many APDUs a whole run takes.
  let total = 0;
  const probe = await pair();
  await carryOver(
    probe.ctx,
    w.op,
    (b) => {
      total++;
      return probe.renewed.transmit(b);
    },
    { terminalId: T, consent },
  );
  assert.ok(total > 4, `a carry-over takes ${total} APDUs`);
  for (let k = 1; k <= total; k++) {
    for (const when of ['before', 'after'] as const) {
      const { renewed, ctx } = await pair();
      const cut = cutAt(renewed, k, when);
      await assert.rejects(carryOver(ctx, w.op, cut.transmit, { terminalId: T, consent }));
      const out = await carryOver(ctx, w.op, tx(renewed), { terminalId: T, consent });
      const loaded = out.results.filter((r) => r.status === 'loaded');
      const already = out.results.filter((r) => r.error?.code === 'ALREADY_CARRIED_OVER');
      assert.equal(loaded.length + already.length, 2, `cut ${when} ${k}: both carried, once`);
      await assertAgreement(w.db, w.ctx.keys, renewed, `cut ${when} APDU ${k}`);
    }
  }
  assert.equal((await verifyAudit(w.db)).ok, true);
});

test('carry-over rules: the old card only from a well-formed link; who may be carried', () => {
  assert.equal(checkSuccession('AB01', 'cd02'), 'CD02');
  for (const bad of [undefined, '', 'AB01', 'ab01', 'XYZ', 'ABC', 'AB'.repeat(33)]) {
    assert.throws(() => checkSuccession('AB01', bad), { code: 'CARD_SUCCESSION_UNKNOWN' });
  }
  assert.equal(checkSuccession('AB01', 'AB'.repeat(32)), 'AB'.repeat(32));
  assert.equal(carryOverRefusal({ name: 'x', carryOver: true, carriedBy: null }), undefined);
  assert.equal(
    carryOverRefusal({ name: 'x', carryOver: false, carriedBy: null })?.code,
    'CARRY_OVER_NOT_ALLOWED',
  );
  // Already carried wins: the holder needs no provider's word for what is done.
  assert.equal(
    carryOverRefusal({ name: 'x', carryOver: false, carriedBy: 'in_1' })?.code,
    'ALREADY_CARRIED_OVER',
  );
  assert.equal(
    carryOverRefusal({ name: 'x', carryOver: true, carriedBy: 'in_1' })?.code,
    'ALREADY_CARRIED_OVER',
  );
});
