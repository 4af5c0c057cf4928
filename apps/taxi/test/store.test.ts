/**
 * The city's store on both backends (PGlite, and a throwaway PostgreSQL where the
 * binaries are): records kept once per (terminal, seq), conflicts aside, the
 * contiguous "held through", the skew correction, the status list, and the rows
 * settlement reads (voids joined, the register joined, the counted year's start).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '@myna-ap/db';
import { storeTests } from '@myna-ap/app-kit/testing';
import { newTerminalKey, signRecord, type RecordBody } from '../src/ride.ts';
import { DEFAULT_RULES, parseDay } from '../src/rules.ts';
import {
  SKEW_TOLERANCE_MS,
  correctedAt,
  heldThrough,
  pushRecords,
  registerHolder,
  registerTerminal,
  ridesToSettle,
  statusSince,
  storeFeedPage,
  taxiMigrations,
} from '../src/store.ts';

const U = '0102030405060708090A0B0C0D';
const AID = 'F04D594E4150000102';

test('the skew correction: within the tolerance the terminal is believed, beyond it corrected', () => {
  assert.equal(correctedAt(1000, SKEW_TOLERANCE_MS), 1000);
  assert.equal(correctedAt(1000, -SKEW_TOLERANCE_MS), 1000);
  assert.equal(correctedAt(1000, SKEW_TOLERANCE_MS + 1), 1000 + SKEW_TOLERANCE_MS + 1);
  assert.equal(correctedAt(1000, -86_400_000), 1000 - 86_400_000);
});

async function exercise(db: Db) {
  const key = newTerminalKey();
  await registerTerminal(db, { terminalId: 'car-1', company: 'akagi', publicKey: key.publicPem });
  await assert.rejects(
    registerTerminal(db, { terminalId: 'car-1', company: 'akagi', publicKey: key.publicPem }),
    { code: 'BAD_REQUEST' },
  );
  await assert.rejects(
    registerTerminal(db, { terminalId: 'car-2', company: 'akagi', publicKey: 'not a key' }),
    { code: 'BAD_REQUEST' },
  );
  assert.equal(await registerHolder(db, U.toLowerCase()), true);
  assert.equal(await registerHolder(db, U), false, 'registered once');
  await assert.rejects(registerHolder(db, 'XYZ'), { code: 'HOLDER_INVALID' });

  const ride = (seq: number, at: string, fareYen = 1500): RecordBody => ({
    kind: 'ride',
    terminalId: 'car-1',
    seq,
    at,
    userId: U,
    company: 'akagi',
    fareYen,
    subsidyYen: 750,
    boardInCity: true,
    alightInCity: true,
  });
  const s = (b: RecordBody) => signRecord(b, key.privatePem);
  // The terminal's clock is a day behind the city's.
  const cityNow = new Date('2026-06-02T20:00:00+09:00');
  const termNow = '2026-06-01T20:00:00+09:00';
  const r1 = s(ride(1, '2026-06-01T09:00:00+09:00'));
  const r3 = s(ride(3, '2026-06-01T11:00:00+09:00'));
  const v4 = s({ kind: 'void', terminalId: 'car-1', seq: 4, at: termNow, voids: 3 });
  const first = await pushRecords(db, 'car-1', termNow, [r1, r3, v4], cityNow);
  assert.deepEqual(first, {
    accepted: 3,
    duplicates: 0,
    conflicts: 0,
    heldThrough: 1,
    skewMs: 86_400_000,
  });
  const again = await pushRecords(db, 'car-1', termNow, [r1, r3], cityNow);
  assert.deepEqual([again.accepted, again.duplicates, again.conflicts], [0, 2, 0]);
  const other = await pushRecords(db, 'car-1', termNow, [s(ride(1, termNow, 9999))], cityNow);
  assert.deepEqual([other.accepted, other.duplicates, other.conflicts], [0, 0, 1]);
  const r2 = s(ride(2, '2026-06-01T10:00:00+09:00'));
  assert.equal((await pushRecords(db, 'car-1', termNow, [r2], cityNow)).heldThrough, 4);
  assert.equal(await heldThrough(db, 'car-1'), 4);
  assert.equal(await heldThrough(db, 'nobody'), 0);
  await assert.rejects(pushRecords(db, 'nobody', termNow, [], cityNow), {
    code: 'TERMINAL_UNKNOWN',
  });
  await assert.rejects(pushRecords(db, 'car-1', 'yesterday', [], cityNow), {
    code: 'BAD_REQUEST',
  });

  // Settled on the city's day: the rides move from 06-01 to 06-02; ride 3 is voided.
  const june2 = await ridesToSettle(
    db,
    parseDay('2026-06-02')!,
    parseDay('2026-06-02')!,
    DEFAULT_RULES,
  );
  assert.deepEqual(
    june2
      .sort((a, b) => a.seq - b.seq)
      .map((r) => [r.seq, r.voided, r.registered, r.fareYen, new Date(r.atMs).toISOString()]),
    [
      [1, false, true, 1500, '2026-06-02T00:00:00.000Z'],
      [2, false, true, 1500, '2026-06-02T01:00:00.000Z'],
      [3, true, true, 1500, '2026-06-02T02:00:00.000Z'],
    ],
  );
  // Nothing after the period's end; the counted year starts on April 1st (JST).
  assert.equal(
    (await ridesToSettle(db, parseDay('2026-04-01')!, parseDay('2026-06-01')!, DEFAULT_RULES))
      .length,
    0,
  );

  // The status list: the taxi AID's user IDs only, in seq pages.
  await storeFeedPage(db, AID, {
    events: [
      {
        seq: 5,
        status: 'lost',
        cardAps: [
          { aid: AID, userId: U },
          { aid: 'F04D594E4150000100', userId: 'FF'.repeat(13) },
        ],
      },
      { seq: 6, status: 'suspended', cardAps: [{ aid: 'F04D594E4150000100', userId: U }] },
      { seq: 9, status: 'active', cardAps: [{ aid: AID.toLowerCase(), userId: U.toLowerCase() }] },
    ],
    next: 9,
  });
  assert.deepEqual(await statusSince(db, 0), {
    events: [
      { seq: 5, status: 'lost', cardAps: [{ aid: AID, userId: U }] },
      { seq: 9, status: 'active', cardAps: [{ aid: AID, userId: U }] },
    ],
    next: 9,
  });
  assert.deepEqual((await statusSince(db, 0, 1)).next, 5);
  assert.deepEqual(await statusSince(db, 9), { events: [], next: 9 });
}

storeTests('the store', [taxiMigrations], exercise);
