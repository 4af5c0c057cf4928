/**
 * The card half of the saga against real emulated cards, in process: load each
 * card AP type, read back what was written (with the key package for A and D),
 * refusals (area, capacity, duplicate, locked PIN, lost card, service hours),
 * delete, auto-load presets, move-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardApCardKeys, cardApFixedPin, fromHex, readCardAp, type Transmit } from '@myna-ap/apdu';
import { freeAreaUsage, type Card } from '@myna-ap/card';
import { loadOnCard } from '../src/cardops/load.ts';
import { deleteOnCard } from '../src/cardops/delete.ts';
import { moveIn } from '../src/cardops/moveIn.ts';
import { resetPin } from '../src/cardops/resetPin.ts';
import { listInstances } from '../src/store/instances.ts';
import { setAutoLoad } from '../src/store/terminals.ts';
import { verifyAudit } from '../src/store/audit.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import { CHIYODA, T, cardIdOf, newCard, otherMunicipality, world } from './cardWorld.ts';

const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);
const consent = { method: 'counter_form' as const };
const PIN = new TextEncoder().encode('4321');

test('load one card AP of each type; the card holds our user IDs and data; read back with the keys', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  const out = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [
      { cardApId: w.aps.C },
      { cardApId: w.aps.A, pin: PIN },
      { cardApId: w.aps.D, data: fromHex('CAFE') },
      { cardApId: w.aps.custom, area: 'extended', pin: PIN },
    ],
    consent,
  });
  assert.equal(out.cardId, cardIdOf(card));
  assert.deepEqual(
    out.results.map((r) => [r.status, r.error?.code]),
    [
      ['loaded', undefined],
      ['loaded', undefined],
      ['loaded', undefined],
      ['loaded', undefined],
    ],
  );
  const ids = out.results.map((r) => r.userId);
  assert.equal(new Set(ids).size, 4, 'distinct user IDs');
  for (const id of ids) assert.match(id!, /^[0-9A-F]{26}$/);
  // The DB says loaded for each, with the same user ID as the card.
  const inst = await listInstances(w.ctx, w.op, out.cardId);
  assert.deepEqual(
    inst.map((i) => i.state),
    ['loaded', 'loaded', 'loaded', 'loaded'],
  );

  const io = tx(card);
  const byType = Object.fromEntries(out.results.map((r) => [r.cardApId, r]));
  // Type C: free read; user ID then the provider's data.
  const c = await readCardAp(io, { aid: fromHex(byType[w.aps.C]!.aid!), type: 'C' });
  assert.equal(Buffer.from(c.userId).toString('hex').toUpperCase(), byType[w.aps.C]!.userId);
  assert.deepEqual([...c.data], [0x81, 0x03, 0x41, 0x42, 0x43]);
  // Types A and D: per-card keys from the card AP master, the holder's PIN / the fixed PIN.
  const serial = fromHex(out.cardId);
  const aidA = fromHex(byType[w.aps.A]!.aid!);
  const masterA = w.ctx.keys.cardApMaster(aidA);
  const a = await readCardAp(io, {
    aid: aidA,
    type: 'A',
    keys: cardApCardKeys(masterA, serial, aidA),
    pin: PIN,
  });
  assert.equal(Buffer.from(a.userId).toString('hex').toUpperCase(), byType[w.aps.A]!.userId);
  assert.deepEqual(
    a.records?.map((r) => Buffer.from(r).toString('hex')),
    ['01020304'],
  );
  const aidD = fromHex(byType[w.aps.D]!.aid!);
  const masterD = w.ctx.keys.cardApMaster(aidD);
  const d = await readCardAp(io, {
    aid: aidD,
    type: 'D',
    keys: cardApCardKeys(masterD, serial, aidD),
    pin: cardApFixedPin(masterD, serial, aidD),
  });
  assert.equal(Buffer.from(d.userId).toString('hex').toUpperCase(), byType[w.aps.D]!.userId);
  assert.deepEqual([...d.data.subarray(0, 2)], [0xca, 0xfe]);
  // Another card's keys do not open this card's card AP.
  const other = cardApCardKeys(masterA, fromHex('00'.repeat(15) + '01'), aidA);
  await assert.rejects(
    readCardAp(io, { aid: aidA, type: 'A', keys: other, pin: PIN }),
    /cryptogram/,
  );
  assert.equal((await verifyAudit(w.db)).ok, true);
});

test('rules: local area only for the holder’s municipality, no duplicate, capacity with the space left', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  // A holder registered elsewhere: the local-area card AP is refused, the extended one loads.
  const away = await newCard({ municipality: '102016' });
  const r1 = await loadOnCard(w.ctx, w.op, tx(away), {
    terminalId: T,
    items: [{ cardApId: w.aps.D }, { cardApId: w.aps.C }],
    consent,
  });
  assert.deepEqual(
    r1.results.map((r) => [r.cardApId, r.status, r.error?.code]),
    [
      [w.aps.D, 'refused', 'AREA_LOCAL_NOT_RESIDENT'],
      [w.aps.C, 'loaded', undefined],
    ],
  );
  // The resident system says otherwise: it wins over the card.
  const r1b = await loadOnCard(w.ctx, w.op, tx(away), {
    terminalId: T,
    items: [{ cardApId: w.aps.D }],
    consent,
    holderMunicipality: CHIYODA,
  });
  assert.equal(r1b.results[0]?.status, 'loaded');
  // Twice the same card AP: refused, nothing written twice.
  const r2 = await loadOnCard(w.ctx, w.op, tx(away), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(r2.results[0]?.error?.code, 'ALREADY_LOADED');
  // Refusals are failures the audit log keeps, with their codes.
  const refused = await w.db.query<{ detail: { code: string } }>(
    "SELECT detail FROM audit_log WHERE action = 'load.refused' ORDER BY seq",
  );
  assert.deepEqual(
    refused.rows.map((r) => r.detail.code),
    ['AREA_LOCAL_NOT_RESIDENT', 'ALREADY_LOADED'],
  );
  // A card with little room: the card refuses, the loader says how much is left.
  const small = await newCard({ capacity: { extended: 100 } });
  const r3 = await loadOnCard(w.ctx, w.op, tx(small), {
    terminalId: T,
    items: [{ cardApId: w.aps.A, pin: PIN }],
    consent,
  });
  assert.equal(r3.results[0]?.error?.code, 'AREA_FULL');
  assert.deepEqual(r3.results[0]?.error?.detail, { area: 'extended', needed: 128 + 33, free: 100 });
  assert.equal(freeAreaUsage(small.image).extended.cardAps, 0);
  const failed = await listInstances(w.ctx, w.op, cardIdOf(small));
  assert.deepEqual(
    failed.map((i) => i.state),
    ['failed'],
  );
  // A holder-chosen PIN is required for type A; the PIN is never guessed.
  const r4 = await loadOnCard(w.ctx, w.op, tx(small), {
    terminalId: T,
    items: [{ cardApId: w.aps.A }],
    consent,
  });
  assert.equal(r4.results[0]?.error?.code, 'CARDAP_PIN_REQUIRED');
});

test('refused before any card AP: locked auth PIN, lost card, service hours, wrong terminal', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  // Lock the JPKI auth PIN with three wrong tries.
  const io = tx(card);
  io(fromHex('00A4040C0AD392F000260100000001'));
  for (let i = 0; i < 3; i++) io(fromHex('0020009804' + '39393939'));
  await assert.rejects(
    loadOnCard(w.ctx, w.op, io, { terminalId: T, items: [{ cardApId: w.aps.C }], consent }),
    { code: 'PIN_LOCKED' },
  );
  assert.deepEqual(await listInstances(w.ctx, w.op, cardIdOf(card)), [], 'no user ID spent');
  // A card reported lost.
  const lost = await newCard();
  await w.db.query("INSERT INTO cards (card_id, status) VALUES ($1, 'lost')", [cardIdOf(lost)]);
  const r = await loadOnCard(w.ctx, w.op, tx(lost), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(r.results[0]?.error?.code, 'CARD_NOT_ACTIVE');
  // After hours: refused for the operator, allowed for an administrator's override (logged).
  w.setNow(new Date('2026-06-01T23:00:00+09:00'));
  const fresh = await newCard();
  await assert.rejects(
    loadOnCard(w.ctx, w.op, tx(fresh), { terminalId: T, items: [{ cardApId: w.aps.C }], consent }),
    { code: 'OUTSIDE_SERVICE_HOURS' },
  );
  await assert.rejects(
    loadOnCard(w.ctx, w.op, tx(fresh), {
      terminalId: T,
      items: [{ cardApId: w.aps.C }],
      consent,
      overrideHours: true,
    }),
    { code: 'FORBIDDEN' },
  );
  const o = await loadOnCard(w.ctx, w.admin, tx(fresh), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
    overrideHours: true,
  });
  assert.equal(o.results[0]?.status, 'loaded');
  const audit = await w.db.query<{ detail: { hoursOverride?: boolean } }>(
    "SELECT detail FROM audit_log WHERE action = 'load.reserve' ORDER BY seq DESC LIMIT 1",
  );
  assert.equal(audit.rows[0]?.detail.hoursOverride, true);
  w.setNow(new Date('2026-06-01T10:00:00+09:00'));
  await assert.rejects(
    loadOnCard(w.ctx, w.op, tx(fresh), {
      terminalId: 'elsewhere' as never,
      items: [{ cardApId: w.aps.C }],
      consent,
    }),
    { code: 'FORBIDDEN' },
  );
});

test('auto-load preset, delete on the holder’s request, then load again with a new user ID', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  await setAutoLoad(w.ctx, w.admin, T, [
    { cardApId: w.aps.C },
    { cardApId: w.aps.custom, area: 'extended' },
  ]);
  const card = await newCard();
  const loaded = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    consent,
    items: [],
  });
  // The preset's custom card AP has a protected EF: without a PIN it is refused, the C loads.
  assert.deepEqual(
    loaded.results.map((r) => [r.cardApId, r.status, r.error?.code]),
    [
      [w.aps.C, 'loaded', undefined],
      [w.aps.custom, 'refused', 'CARDAP_PIN_REQUIRED'],
    ],
  );
  const before = freeAreaUsage(card.image).extended.used;
  const del = await deleteOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    cardApIds: [w.aps.C, w.aps.A],
    consent,
  });
  assert.deepEqual(
    del.results.map((r) => [r.cardApId, r.status, r.error?.code]),
    [
      [w.aps.A, 'refused', 'NOT_LOADED'],
      [w.aps.C, 'deleted', undefined],
    ],
  );
  assert.ok(freeAreaUsage(card.image).extended.used < before, 'the room is back');
  const again = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    consent,
    items: [{ cardApId: w.aps.C }],
  });
  assert.equal(again.results[0]?.status, 'loaded');
  assert.notEqual(again.results[0]?.userId, loaded.results[0]?.userId, 'a user ID is never reused');
});

test('move-in: the local card APs go, the extended ones stay, the providers are told', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    consent,
    items: [{ cardApId: w.aps.D }, { cardApId: w.aps.C }],
  });
  assert.equal(freeAreaUsage(card.image).local.cardAps, 1);
  // Only the new municipality runs the procedure.
  await assert.rejects(moveIn(w.ctx, w.op, tx(card), { terminalId: T, toMunicipality: '102016' }), {
    code: 'MOVE_IN_NOT_THIS_MUNICIPALITY',
  });
  await assert.rejects(moveIn(w.ctx, w.op, tx(card), { terminalId: T, toMunicipality: CHIYODA }), {
    code: 'MOVE_IN_SAME_MUNICIPALITY',
  });
  // The holder moves to 前橋市; its counter runs the continuation procedure.
  const mae = await otherMunicipality(w, 'MAEBASHI', '102016');
  const out = await moveIn(w.ctx, mae.op, tx(card), {
    terminalId: mae.terminal,
    toMunicipality: '102016',
  });
  assert.equal(out.from, CHIYODA);
  assert.deepEqual(
    out.removed.map((r) => r.cardApId),
    [w.aps.D],
  );
  assert.deepEqual(
    out.kept.map((r) => r.cardApId),
    [w.aps.C],
  );
  assert.equal(freeAreaUsage(card.image).local.cardAps, 0);
  assert.equal(freeAreaUsage(card.image).extended.cardAps, 1);
  const inst = await listInstances(w.ctx, w.op, cardIdOf(card));
  const d = inst.find((i) => i.cardApId === w.aps.D)!;
  assert.equal(d.state, 'deleted');
  assert.equal(inst.find((i) => i.cardApId === w.aps.C)?.state, 'loaded');
  const notices = await w.db.query<{
    provider_id: string;
    kind: string;
    detail: { userId: string };
  }>('SELECT provider_id, kind, detail FROM provider_notices ORDER BY seq');
  assert.deepEqual(
    notices.rows.map((n) => [n.provider_id, n.kind, n.detail.userId]),
    [['CHIYODA', 'move_in_removed', d.userId]],
  );
  // The old municipality can no longer load into the local area; 前橋市 can.
  const r = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    consent,
    items: [{ cardApId: w.aps.D }],
  });
  assert.equal(r.results[0]?.error?.code, 'AREA_LOCAL_NOT_RESIDENT');
  assert.equal((await verifyAudit(w.db)).ok, true);
});

test('a card whose area refuses our keys, or data that cannot go in: refused, no user ID spent, no row', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const other = new MemoryKeyStore({
    local: {
      enc: new Uint8Array(16).fill(1),
      mac: new Uint8Array(16).fill(2),
      dek: new Uint8Array(16).fill(3),
    },
    extended: {
      enc: new Uint8Array(16).fill(4),
      mac: new Uint8Array(16).fill(5),
      dek: new Uint8Array(16).fill(6),
    },
  });
  const card = await newCard();
  const r = await loadOnCard({ ...w.ctx, keys: other }, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(r.results[0]?.error?.code, 'AREA_KEYS_MISMATCH');
  const bad = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.D, data: new Uint8Array(300) }],
    consent,
  });
  assert.equal(bad.results[0]?.error?.code, 'CARDAP_DATA_TOO_LARGE');
  const rows = await w.db.query('SELECT 1 FROM card_ap_instances WHERE card_id = $1', [
    cardIdOf(card),
  ]);
  assert.equal(rows.rows.length, 0);
});

test('after hours a delete needs an administrator’s override, which the audit log keeps', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  w.setNow(new Date('2026-12-30T10:00:00+09:00')); // 年末年始
  const req = { terminalId: T, cardApIds: [w.aps.C], consent };
  await assert.rejects(deleteOnCard(w.ctx, w.op, tx(card), req), { code: 'OUTSIDE_SERVICE_HOURS' });
  await assert.rejects(deleteOnCard(w.ctx, w.op, tx(card), { ...req, overrideHours: true }), {
    code: 'FORBIDDEN',
  });
  const d = await deleteOnCard(w.ctx, w.admin, tx(card), { ...req, overrideHours: true });
  assert.equal(d.results[0]?.status, 'deleted');
  const rows = await w.db.query<{ actor: string; detail: { op: string } }>(
    "SELECT actor, detail FROM audit_log WHERE action = 'hours.override'",
  );
  assert.deepEqual(
    rows.rows.map((r) => [r.actor, r.detail.op]),
    [[w.admin.operatorId, 'delete']],
  );
});

test('a locked system-fixed PIN is reset to itself; a holder’s PIN to the new one; tries come back', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  const out = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.D }, { cardApId: w.aps.A, pin: PIN }],
    consent,
  });
  const serial = fromHex(out.cardId);
  const aidOf = (id: string) => fromHex(out.results.find((r) => r.cardApId === id)!.aid!);
  const open = (id: string, type: 'A' | 'D', pin: Uint8Array) => {
    const aid = aidOf(id);
    return readCardAp(tx(card), {
      aid,
      type,
      keys: cardApCardKeys(w.ctx.keys.cardApMaster(aid), serial, aid),
      pin,
    });
  };
  const wrong = new TextEncoder().encode('00000000');
  for (let i = 0; i < 5; i++) await open(w.aps.D, 'D', wrong).catch(() => undefined);
  const fixed = cardApFixedPin(w.ctx.keys.cardApMaster(aidOf(w.aps.D)), serial, aidOf(w.aps.D));
  await assert.rejects(open(w.aps.D, 'D', fixed), /6983/, 'locked, even with the right PIN');
  const r = await resetPin(w.ctx, w.op, tx(card), { terminalId: T, cardApId: w.aps.D, consent });
  assert.deepEqual([r.fixed, r.tries], [true, 5]);
  assert.equal((await open(w.aps.D, 'D', fixed)).userId.length, 13);
  // The holder's PIN: a new one, and the old one no longer opens it.
  const next = new TextEncoder().encode('8765');
  await resetPin(w.ctx, w.op, tx(card), { terminalId: T, cardApId: w.aps.A, pin: next, consent });
  await assert.rejects(open(w.aps.A, 'A', PIN), /63C/);
  assert.equal((await open(w.aps.A, 'A', next)).userId.length, 13);
  await assert.rejects(
    resetPin(w.ctx, w.op, tx(card), { terminalId: T, cardApId: w.aps.C, consent }),
    {
      code: 'CARDAP_HAS_NO_PIN',
    },
  );
  await assert.rejects(
    resetPin(w.ctx, w.op, tx(card), { terminalId: T, cardApId: w.aps.A, consent }),
    {
      code: 'CARDAP_PIN_REQUIRED',
    },
  );
});
