/** The hash chain alone: an edited, deleted, reordered or cut row is found. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS, rowHash, verifyChain, type EntryRow } from '../src/chain.ts';

function chain(n: number): EntryRow[] {
  const rows: EntryRow[] = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const f = {
      seq,
      at: `2026-06-01T0${seq}:00:00.000Z`,
      doorId: 'ROOM1',
      userId: '0102030405060708090A0B0C0D',
      staffNo: 'S1',
      opened: seq % 2 === 1,
      code: seq % 2 === 1 ? 'OPENED' : 'OUTSIDE_HOURS',
    };
    const hash = rowHash(prev, f);
    rows.push({ ...f, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

const headOf = (rows: EntryRow[]) => ({ seq: rows.length, hash: rows.at(-1)?.hash ?? GENESIS });

test('an intact chain verifies, empty or not', () => {
  assert.deepEqual(verifyChain([], { seq: 0, hash: GENESIS }), { ok: true, rows: 0 });
  const rows = chain(4);
  assert.deepEqual(verifyChain(rows, headOf(rows)), { ok: true, rows: 4 });
});

test('an edited row is found at that row', () => {
  const rows = chain(4);
  const head = headOf(rows);
  rows[1] = { ...rows[1]!, opened: true, code: 'OPENED' };
  assert.deepEqual(verifyChain(rows, head), {
    ok: false,
    seq: 2,
    problem: 'its hash does not match its contents: the row was edited',
  });
});

test('an edited row with its hash recomputed breaks the next link', () => {
  const rows = chain(4);
  const head = headOf(rows);
  const f = { ...rows[1]!, staffNo: 'S2' };
  rows[1] = { ...f, hash: rowHash(f.prevHash, f) };
  const v = verifyChain(rows, head);
  assert.equal(v.ok, false);
  assert.equal(!v.ok && v.seq, 3);
});

test('a deleted, a reordered, or a cut row is found', () => {
  const rows = chain(5);
  const head = headOf(rows);
  const deleted = rows.filter((r) => r.seq !== 3);
  assert.deepEqual(verifyChain(deleted, head).ok, false);
  assert.equal((verifyChain(deleted, head) as { seq: number }).seq, 4);
  const swapped = [rows[0]!, rows[2]!, rows[1]!, rows[3]!, rows[4]!];
  assert.equal((verifyChain(swapped, head) as { seq: number }).seq, 3);
  // Renumbered after a deletion: the link still breaks.
  const renumbered = deleted.map((r, i) => ({ ...r, seq: i + 1 }));
  assert.equal(verifyChain(renumbered, head).ok, false);
  // The last row cut: only the head tells.
  const cut = rows.slice(0, 4);
  assert.deepEqual(verifyChain(cut, head), {
    ok: false,
    seq: 5,
    problem: 'the head says seq 5: rows were cut from the end',
  });
});
