/**
 * The store on both backends (PGlite, and a throwaway PostgreSQL where the binaries
 * are): staff with their two card APs, doors, permissions, every touch decided and
 * logged (opened or refused), the feed refusing a lost card at once, and the log's
 * chain finding an edited, deleted or reordered row and a cut tail.
 */
import assert from 'node:assert/strict';
import type { Db } from '@myna-ap/db';
import { storeTests } from '@myna-ap/app-kit/testing';
import { permissionFrom } from '../src/rules.ts';
import {
  addDoor,
  addStaff,
  addTerminal,
  cardStatusOf,
  doorOf,
  entries,
  feedCursor,
  grant,
  recordEntry,
  staffInputFrom,
  staffMigrations,
  storeFeedPage,
  terminalByToken,
  verifyLog,
} from '../src/store.ts';

const TOUCH = '0102030405060708090A0B0C0D';
const PIN = 'A1A2A3A4A5A6A7A8A9AAABACAD';
const OTHER_PIN = 'B1B2B3B4B5B6B7B8B9BABBBCBD';
const AIDS = ['F04D594E4150000110', 'F04D594E4150000111'];
const MON_10 = new Date('2026-06-01T10:00:00+09:00');
const MON_21 = new Date('2026-06-01T21:00:00+09:00');

async function setUp(db: Db) {
  await addStaff(
    db,
    staffInputFrom({
      staffNo: 'S001',
      name: '徳島 一郎',
      touchUserId: TOUCH.toLowerCase(),
      pinUserId: PIN,
    }),
  );
  await addDoor(db, { doorId: 'OFFICE', name: '執務室', level: 'low' });
  await addDoor(db, { doorId: 'SERVER', name: 'サーバ室', level: 'secure' });
  await grant(
    db,
    'S001',
    permissionFrom({ doorId: 'OFFICE', days: [1, 2, 3, 4, 5], from: '08:00', to: '20:00' }),
  );
  await grant(
    db,
    'S001',
    permissionFrom({ doorId: 'SERVER', days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }),
  );
}

async function exercise(db: Db) {
  await setUp(db);
  await assert.rejects(
    addStaff(
      db,
      staffInputFrom({
        staffNo: 'S001',
        name: 'x',
        touchUserId: OTHER_PIN,
        pinUserId: 'C1C2C3C4C5C6C7C8C9CACBCCCD',
      }),
    ),
    { code: 'STAFF_EXISTS' },
  );
  await assert.rejects(
    addStaff(
      db,
      staffInputFrom({ staffNo: 'S002', name: '別人', touchUserId: TOUCH, pinUserId: OTHER_PIN }),
    ),
    (e: { code: string; text: { ja: string } }) =>
      e.code === 'CARD_IN_USE' && e.text.ja.includes('S001'),
  );
  assert.throws(
    () => staffInputFrom({ staffNo: 'S 1', name: 'x', touchUserId: TOUCH, pinUserId: PIN }),
    {
      code: 'STAFF_INVALID',
    },
  );
  assert.throws(
    () => staffInputFrom({ staffNo: 'S3', name: 'x', touchUserId: TOUCH, pinUserId: TOUCH }),
    {
      code: 'BAD_REQUEST',
    },
  );
  await assert.rejects(addDoor(db, { doorId: 'OFFICE', name: 'again', level: 'low' }), {
    code: 'DOOR_EXISTS',
  });
  await assert.rejects(
    grant(
      db,
      'NOBODY',
      permissionFrom({ doorId: 'OFFICE', days: [1], from: '08:00', to: '09:00' }),
    ),
    {
      code: 'STAFF_UNKNOWN',
    },
  );
  await assert.rejects(
    grant(db, 'S001', permissionFrom({ doorId: 'NODOOR', days: [1], from: '08:00', to: '09:00' })),
    {
      code: 'DOOR_UNKNOWN',
    },
  );
  const t = await addTerminal(db, 'door-1', 'SERVER');
  assert.equal((await terminalByToken(db, t.token)).level, 'secure');
  await assert.rejects(terminalByToken(db, 'not a token'), { code: 'TERMINAL_AUTH' });

  const office = await doorOf(db, 'OFFICE');
  const server = await doorOf(db, 'SERVER');
  const codes = async (...outs: Promise<{ code: string }>[]) =>
    (await Promise.all(outs)).map((o) => o.code);
  assert.deepEqual(await codes(recordEntry(db, office, { touchUserId: TOUCH }, MON_10)), [
    'OPENED',
  ]);
  assert.deepEqual(await codes(recordEntry(db, office, { touchUserId: TOUCH }, MON_21)), [
    'OUTSIDE_HOURS',
  ]);
  assert.deepEqual(await codes(recordEntry(db, server, { touchUserId: TOUCH }, MON_10)), [
    'PIN_NEEDED',
  ]);
  assert.deepEqual(
    await codes(
      recordEntry(
        db,
        server,
        { touchUserId: TOUCH, pinFailure: { code: 'PIN_WRONG', triesLeft: 2 } },
        MON_10,
      ),
    ),
    ['PIN_WRONG'],
  );
  assert.deepEqual(
    await codes(recordEntry(db, server, { touchUserId: TOUCH, pinUserId: OTHER_PIN }, MON_10)),
    ['CARD_MISMATCH'],
  );
  const inside = await recordEntry(db, server, { touchUserId: TOUCH, pinUserId: PIN }, MON_10);
  assert.deepEqual(inside, {
    seq: 6,
    opened: true,
    code: 'OPENED',
    staffNo: 'S001',
    name: '徳島 一郎',
  });
  assert.deepEqual(await codes(recordEntry(db, office, { touchUserId: OTHER_PIN }, MON_10)), [
    'CARD_NOT_REGISTERED',
  ]);

  // The feed: only the staff card's AIDs are kept; lost is refused at once, before any rule.
  assert.equal(
    await storeFeedPage(db, AIDS, {
      events: [
        {
          seq: 3,
          status: 'lost',
          cardAps: [
            { aid: AIDS[1]!, userId: PIN },
            { aid: 'F04D594E4150000100', userId: OTHER_PIN },
          ],
        },
      ],
      next: 4,
    }),
    1,
  );
  assert.equal(await feedCursor(db), 4);
  assert.equal(await cardStatusOf(db, OTHER_PIN), undefined);
  assert.equal(await cardStatusOf(db, PIN), 'lost');
  // The PIN card AP named lost: the secure room is refused even with the PIN.
  assert.deepEqual(
    await codes(recordEntry(db, server, { touchUserId: TOUCH, pinUserId: PIN }, MON_10)),
    ['CARD_LOST'],
  );
  await storeFeedPage(db, AIDS, {
    events: [{ seq: 5, status: 'revoked', cardAps: [{ aid: AIDS[0]!, userId: TOUCH }] }],
    next: 6,
  });
  const refused = await recordEntry(db, office, { touchUserId: TOUCH }, MON_10);
  assert.deepEqual([refused.opened, refused.code], [false, 'CARD_REVOKED']);

  // Every touch is in the log, opened or refused, and the chain holds.
  const log = await entries(db);
  assert.deepEqual(
    log.map((r) => r.code),
    [
      'OPENED',
      'OUTSIDE_HOURS',
      'PIN_NEEDED',
      'PIN_WRONG',
      'CARD_MISMATCH',
      'OPENED',
      'CARD_NOT_REGISTERED',
      'CARD_LOST',
      'CARD_REVOKED',
    ],
  );
  assert.deepEqual(await verifyLog(db), { ok: true, rows: 9 });

  // Doors at once: each touch gets its own seq, the chain holds.
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      recordEntry(db, i % 2 ? office : server, { touchUserId: TOUCH }, MON_10),
    ),
  );
  assert.deepEqual(await verifyLog(db), { ok: true, rows: 15 });

  // The database refuses an update or a delete by the service's own queries.
  await assert.rejects(
    db.query(`UPDATE staff_entries SET opened = true WHERE seq = 2`),
    /append-only/,
  );
  await assert.rejects(db.query(`DELETE FROM staff_entries WHERE seq = 2`), /append-only/);
}

/** Someone with the database's owner rights turns the trigger off and edits: the chain tells. */
async function tamper(db: Db) {
  await setUp(db);
  const office = await doorOf(db, 'OFFICE');
  for (const at of [MON_10, MON_21, MON_10, MON_21, MON_10])
    await recordEntry(db, office, { touchUserId: TOUCH }, at);
  assert.deepEqual(await verifyLog(db), { ok: true, rows: 5 });
  await db.query('ALTER TABLE staff_entries DISABLE TRIGGER staff_entries_append_only');
  const verdict = async () => {
    const v = await verifyLog(db);
    return v.ok ? 'ok' : v.seq;
  };

  // Edited: a refusal turned into an entry.
  await db.query(`UPDATE staff_entries SET opened = true, code = 'OPENED' WHERE seq = 2`);
  assert.equal(await verdict(), 2);
  await db.query(`UPDATE staff_entries SET opened = false, code = 'OUTSIDE_HOURS' WHERE seq = 2`);
  assert.equal(await verdict(), 'ok', 'put back as it was');

  // Reordered: two rows' contents swapped (at and code), hashes and all.
  const rows = await entries(db);
  const [r2, r3] = [rows[1]!, rows[2]!];
  for (const [seq, r] of [
    [2, r3],
    [3, r2],
  ] as const)
    await db.query(
      'UPDATE staff_entries SET at = $2, opened = $3, code = $4, prev_hash = $5, hash = $6 WHERE seq = $1',
      [seq, r.at, r.opened, r.code, r.prevHash, r.hash],
    );
  assert.equal(await verdict(), 2);
  for (const r of [r2, r3])
    await db.query(
      'UPDATE staff_entries SET at = $2, opened = $3, code = $4, prev_hash = $5, hash = $6 WHERE seq = $1',
      [r.seq, r.at, r.opened, r.code, r.prevHash, r.hash],
    );
  assert.equal(await verdict(), 'ok');

  // Deleted in the middle, and cut from the end.
  await db.query('DELETE FROM staff_entries WHERE seq = 5');
  assert.equal(await verdict(), 5, 'the head still says 5');
  await db.query('DELETE FROM staff_entries WHERE seq = 3');
  assert.equal(await verdict(), 4);
}

storeTests('the store: rules, entries and the feed', [staffMigrations], exercise);
storeTests(
  'the store: an edited, reordered, deleted or cut row is detected',
  [staffMigrations],
  tamper,
);
