/**
 * Issue 5, Consistency: "impossible to corrupt". Each card operation (a load of
 * each card AP type, a load into both areas, a delete, a move-in) is cut at every
 * APDU k it uses — the command lost before the card sees it, or the card's answer
 * lost after it acted — and then the card is met again (the same operation
 * again, a diagnose, or recovery alone). Every time:
 *
 * - the cut operation fails with the transport's CARD_REMOVED, never anything else;
 * - the card is atomic: each area is as before but for card APs wholly added or
 *   wholly removed;
 * - after the next contact card and database agree (agreement.ts), the user IDs
 *   read back through the card APs themselves; repeating the operation finishes it;
 * - at the end of each scenario, no user ID twice (failed and deleted rows
 *   included), no card AP live twice, the audit chain verifies.
 *
 * Each cut gets one of the three contacts, in turn; MYNA_SOAK=1 tries all three
 * for every cut, cuts the contact itself too, and checks the database rules after
 * every run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, type Transmit } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import { loadOnCard, type LoadItem } from '../src/cardops/load.ts';
import { deleteOnCard } from '../src/cardops/delete.ts';
import { moveIn } from '../src/cardops/moveIn.ts';
import { diagnose } from '../src/cardops/diagnose.ts';
import { recoverCard } from '../src/cardops/recover.ts';
import { readIdentity } from '../src/cardops/cardAccess.ts';
import type { Session } from '../src/store/context.ts';
import type { CardApId, TerminalId } from '../src/domain/ids.ts';
import { T, cardIdOf, newCard, otherMunicipality, world, type World } from './cardWorld.ts';
import {
  HOLDER_PIN,
  areasOf,
  assertAgreement,
  assertAtomic,
  assertDbInvariants,
  counting,
  cutAt,
  type Cut,
} from './agreement.ts';

const SOAK = process.env.MYNA_SOAK === '1';
const consent = { method: 'counter_form' as const };
const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);
/** `n` bytes of provider data, so the INSTALL spreads over STORE DATA blocks. */
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);

type Contact = 'again' | 'diagnose' | 'recover';
const CONTACTS: readonly Contact[] = ['again', 'diagnose', 'recover'];

interface Scenario {
  readonly name: string;
  /** Uncut work before the operation (the loads a delete or move-in needs). */
  setup?(card: Card): Promise<void>;
  /** The operation that is cut. */
  run(t: Transmit): Promise<unknown>;
  /** Checks the result of running it again (uncut) after the cut and its contact. */
  again(t: Transmit, card: Card): Promise<void>;
  /** Card APs the operation may add or remove (AIDs, upper-case hex). */
  readonly mayAdd: readonly string[];
  readonly mayRemove: readonly string[];
}

async function aidsOf(w: World): Promise<Record<CardApId, string>> {
  const r = await w.db.query<{ id: string; aid: Uint8Array }>('SELECT id, aid FROM card_aps');
  return Object.fromEntries(
    r.rows.map((x) => [x.id, Buffer.from(x.aid).toString('hex').toUpperCase()]),
  );
}

function loadScenario(w: World, aids: Record<string, string>, name: string, items: LoadItem[]) {
  const req = { terminalId: T, items, consent };
  return {
    name,
    run: (t: Transmit) => loadOnCard(w.ctx, w.op, t, req),
    async again(t: Transmit, card: Card) {
      const out = await loadOnCard(w.ctx, w.op, t, req);
      for (const r of out.results) {
        assert.ok(
          r.status === 'loaded' || r.error?.code === 'ALREADY_LOADED',
          `${name} again: ${r.cardApId} ${r.status} ${r.error?.code}`,
        );
      }
      const on = new Set(
        [...areasOf(card).local.cardAps, ...areasOf(card).extended.cardAps].map((a) =>
          a.aid.toUpperCase(),
        ),
      );
      for (const i of items) assert.ok(on.has(aids[i.cardApId]!), `${name} again: all loaded`);
    },
    mayAdd: items.map((i) => aids[i.cardApId]!),
    mayRemove: [],
  } satisfies Scenario;
}

/** Runs `s` uncut once (its APDU count), then cut at every APDU. */
async function cutEverywhere(w: World, s: Scenario, contactOp: Session): Promise<number> {
  const ref = await newCard();
  await s.setup?.(ref);
  const c = counting(ref);
  await s.run(c.transmit);
  const n = c.count();
  await s.again(tx(ref), ref); // it did it all: running it again changes nothing
  await assertAgreement(w.db, w.ctx.keys, ref, `${s.name} uncut`, { readBack: true });

  let turn = 0;
  for (let k = 1; k <= n; k++) {
    for (const when of ['before', 'after'] as const satisfies readonly Cut[]) {
      const contacts = SOAK ? CONTACTS : [CONTACTS[turn++ % CONTACTS.length]!];
      for (const contact of contacts) {
        const what = `${s.name}, cut ${when} APDU ${k}/${n}, then ${contact}`;
        const card = await newCard();
        await s.setup?.(card);
        const before = areasOf(card);
        const cut = cutAt(card, k, when);
        await assert.rejects(
          s.run(cut.transmit),
          (e: unknown) => (e as { code?: string }).code === 'CARD_REMOVED',
          what,
        );
        assert.equal(cut.sent(), when === 'before' ? k - 1 : k, `${what}: APDUs the card saw`);
        assertAtomic(before, areasOf(card), s, what);
        // Odd k: the card was pulled (power lost); even k: the terminal went, the card stayed.
        if (k % 2 === 1) card.powerOff();
        if (SOAK) await cutTheContactToo(w, s, card, contact, contactOp, what);
        await meet(w, s, card, contact, contactOp, what);
        await assertAgreement(w.db, w.ctx.keys, card, what, { readBack: true });
        if (SOAK) await assertDbInvariants(w.db, what);
      }
    }
  }
  // The chain is append-only and checked whole: at the end it vouches for every run.
  await assertDbInvariants(w.db, s.name);
  return n;
}

/** Soak: the next contact is itself cut, at a point that moves with the card. */
async function cutTheContactToo(
  w: World,
  s: Scenario,
  card: Card,
  contact: Contact,
  op: Session,
  what: string,
): Promise<void> {
  const at = 1 + (Number.parseInt(cardIdOf(card).slice(0, 4), 16) % 12);
  const cut = cutAt(card, at, at % 2 === 0 ? 'after' : 'before');
  const before = areasOf(card);
  try {
    await contactOnce(w, s, cut.transmit, card, contact, op);
  } catch (e) {
    if ((e as { code?: string }).code !== 'CARD_REMOVED') throw e;
  }
  assertAtomic(before, areasOf(card), s, `${what}, contact cut at ${at}`);
}

async function contactOnce(
  w: World,
  s: Scenario,
  t: Transmit,
  card: Card,
  contact: Contact,
  op: Session,
): Promise<void> {
  switch (contact) {
    case 'again':
      await s.again(t, card);
      return;
    case 'diagnose':
      await diagnose(w.ctx, op, t, { terminalId: T });
      return;
    case 'recover':
      await recoverCard(w.ctx, op.operatorId, t, await readIdentity(t, true));
      return;
  }
}

/** The next contact with the card, uncut, and what it must say. */
async function meet(
  w: World,
  s: Scenario,
  card: Card,
  contact: Contact,
  op: Session,
  what: string,
): Promise<void> {
  const open = (
    await w.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM card_ap_instances WHERE card_id = $1 AND state IN ('pending', 'deleting')",
      [cardIdOf(card)],
    )
  ).rows[0]!.n;
  if (contact === 'diagnose') {
    const r = await diagnose(w.ctx, op, tx(card), { terminalId: T });
    assert.equal(r.readable, true, what);
    assert.equal(r.recovered.length, open, `${what}: diagnose settled every cut-short step`);
    assert.deepEqual(r.missing, [], `${what}: nothing recorded is missing`);
    assert.deepEqual(
      r.findings
        .filter((f) =>
          ['CARD_AP_UNRECORDED', 'RECOVERY_FAILED', 'AREA_UNREADABLE'].includes(f.code),
        )
        .map((f) => f.text.en),
      [],
      what,
    );
    return;
  }
  if (contact === 'recover') {
    const t = tx(card);
    const r = await recoverCard(w.ctx, op.operatorId, t, await readIdentity(t, true));
    assert.equal(r.length, open, `${what}: recovery settled every cut-short step`);
    return;
  }
  await s.again(tx(card), card);
}

const counts: Record<string, number> = {};

// One loading system for all: every scenario works on cards of its own.
let w: World;
before(async () => {
  w = await world();
});
after(() => w.db.close());

test('load of one card AP, type C / A / D / custom, cut at every APDU', async () => {
  const aids = await aidsOf(w);
  const scenarios = [
    loadScenario(w, aids, 'load C', [{ cardApId: w.aps.C }]),
    // As much data as each holds: D and custom spread their INSTALL over STORE DATA
    // blocks (the card commits at the last); A (128 bytes) still fits one INSTALL.
    loadScenario(w, aids, 'load A', [{ cardApId: w.aps.A, pin: HOLDER_PIN, data: bytes(115) }]),
    loadScenario(w, aids, 'load D', [{ cardApId: w.aps.D, data: bytes(240) }]),
    loadScenario(w, aids, 'load custom', [
      { cardApId: w.aps.custom, area: 'extended', pin: HOLDER_PIN, data: bytes(400) },
    ]),
  ];
  for (const s of scenarios) counts[s.name] = await cutEverywhere(w, s, w.op);
});

test('load of four card APs into both areas, cut at every APDU', async () => {
  const aids = await aidsOf(w);
  const s = loadScenario(w, aids, 'load C+A+D+custom', [
    { cardApId: w.aps.C },
    { cardApId: w.aps.A, pin: HOLDER_PIN },
    { cardApId: w.aps.D, data: bytes(240) },
    { cardApId: w.aps.custom, area: 'local', pin: HOLDER_PIN, data: bytes(300) },
  ]);
  counts[s.name] = await cutEverywhere(w, s, w.op);
});

test('delete of two card APs in both areas, cut at every APDU', async () => {
  const aids = await aidsOf(w);
  const items: LoadItem[] = [{ cardApId: w.aps.C }, { cardApId: w.aps.D, data: fromHex('CAFE') }];
  const req = { terminalId: T, cardApIds: [w.aps.C, w.aps.D], consent };
  const s: Scenario = {
    name: 'delete C+D',
    async setup(card) {
      const r = await loadOnCard(w.ctx, w.op, tx(card), { terminalId: T, items, consent });
      assert.ok(r.results.every((x) => x.status === 'loaded'));
    },
    run: (t) => deleteOnCard(w.ctx, w.op, t, req),
    async again(t, card) {
      const out = await deleteOnCard(w.ctx, w.op, t, req);
      for (const r of out.results) {
        assert.ok(r.status === 'deleted' || r.error?.code === 'NOT_LOADED', `again: ${r.status}`);
      }
      assert.equal(areasOf(card).local.cardAps.length + areasOf(card).extended.cardAps.length, 0);
    },
    mayAdd: [],
    mayRemove: [aids[w.aps.C]!, aids[w.aps.D]!],
  };
  counts[s.name] = await cutEverywhere(w, s, w.op);
});

test('move-in (two local card APs go, one extended stays), cut at every APDU', async () => {
  const aids = await aidsOf(w);
  const mae = await otherMunicipality(w, 'MAEBASHI', '102016');
  const items: LoadItem[] = [
    { cardApId: w.aps.D },
    { cardApId: w.aps.custom, area: 'local', pin: HOLDER_PIN },
    { cardApId: w.aps.C },
  ];
  const req = { terminalId: mae.terminal as TerminalId, toMunicipality: '102016' };
  const s: Scenario = {
    name: 'move-in',
    async setup(card) {
      const r = await loadOnCard(w.ctx, w.op, tx(card), { terminalId: T, items, consent });
      assert.ok(r.results.every((x) => x.status === 'loaded'));
    },
    run: (t) => moveIn(w.ctx, mae.op, t, req),
    async again(t, card) {
      try {
        await moveIn(w.ctx, mae.op, t, req);
      } catch (e) {
        // Already done (the uncut run): the procedure is not run twice.
        if ((e as { code?: string }).code !== 'MOVE_IN_SAME_MUNICIPALITY') throw e;
      }
      assert.equal(areasOf(card).local.cardAps.length, 0, 'the local card APs are gone');
      assert.deepEqual(
        areasOf(card).extended.cardAps.map((a) => a.aid.toUpperCase()),
        [aids[w.aps.C]],
      );
      const mv = await w.db.query<{ state: string }>(
        'SELECT state FROM move_ins WHERE card_id = $1',
        [cardIdOf(card)],
      );
      assert.deepEqual(
        mv.rows.map((r) => r.state),
        ['done'],
        'one procedure, finished',
      );
    },
    mayAdd: [],
    mayRemove: [aids[w.aps.D]!, aids[w.aps.custom]!],
  };
  counts[s.name] = await cutEverywhere(w, s, w.op);
  // Every removal was reported to the provider once, whatever the cuts.
  const dup = await w.db.query(
    `SELECT instance_id FROM provider_notices WHERE kind = 'move_in_removed'
      GROUP BY provider_id, instance_id HAVING count(*) > 1`,
  );
  assert.deepEqual(dup.rows, []);
});

after(() => {
  // The APDU count of each uncut operation (the docs and the bench quote them).
  console.log(`# APDUs per operation: ${JSON.stringify(counts)}`);
});

test('another provider meets the card next: it settles the cut-short load but is not told of it', async () => {
  const aids = await aidsOf(w);
  const card = await newCard();
  // 千代田区's load of type C, cut after the card did the INSTALL (APDU 9): pending.
  const cut = cutAt(card, 9, 'after');
  await assert.rejects(
    loadOnCard(w.ctx, w.op, cut.transmit, {
      terminalId: T,
      items: [{ cardApId: w.aps.C }],
      consent,
    }),
    { code: 'CARD_REMOVED' },
  );
  // The holder goes to a counter of 高崎市 (another provider), which diagnoses the card.
  const other = await otherMunicipality(w, 'TAKASAKI', '102024');
  const r = await diagnose(w.ctx, other.op, tx(card), { terminalId: other.terminal });
  // Settled (the card is the judge, whoever meets it) …
  await assertAgreement(w.db, w.ctx.keys, card, 'settled by another provider', { readBack: true });
  // … but which card APs a holder has is each provider's own to know: neither named nor listed.
  assert.deepEqual(r.recovered, [], 'another provider’s settled instance is not reported');
  assert.equal(r.areas.find((a) => a.area === 'extended')?.others, 1, 'counted, not named');
  assert.ok(!JSON.stringify(r).includes(aids[w.aps.C]!), 'the AID appears nowhere in the report');
  assert.ok(!JSON.stringify(r).includes(w.aps.C), 'nor the card AP');
});
