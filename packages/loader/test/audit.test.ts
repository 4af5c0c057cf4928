import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDb, readMigrations } from '@myna-ap/db';
import {
  GENESIS_HASH,
  appendAudit,
  auditConsistencyProof,
  auditInclusionProof,
  canonicalJson,
  contentLeaf,
  listAudit,
  rowHash,
  sequenceAllAudit,
  sequenceAudit,
  verifyAudit,
} from '../src/store/audit.ts';
import type { Db } from '@myna-ap/db';
import { freshPglite, skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { openPglite } from '@myna-ap/db';
import { loaderMigrations } from '../src/migrations.ts';
import { memoryAuditSigner } from '../src/keys/auditSigner.ts';
import { verifyCheckpointSignature } from '../src/domain/auditCheckpoint.ts';
import { verifyConsistency, verifyInclusion } from '../src/domain/merkle.ts';

const SIGNER = memoryAuditSigner();
const unhex = (h: string) => Buffer.from(h, 'hex');

test('canonical JSON sorts keys and refuses what JSON cannot hold', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }),
    '{"a":[true,null,"x"],"b":1}',
  );
  assert.equal(canonicalJson({ z: { y: 1, x: 2 } }), '{"z":{"x":2,"y":1}}');
  assert.throws(() => canonicalJson(NaN), TypeError);
  assert.throws(() => canonicalJson(1n), TypeError);
});

async function append(db: Db, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await db.transaction((tx) =>
      appendAudit(tx, {
        actor: 'op_1',
        action: 'provider.create',
        target: `P${i}`,
        detail: { providerId: `P${i}`, n: i, name: '前橋市', nested: { b: 2, a: 1 } },
      }),
    );
  }
}

async function tamperCases(db: Db, asSuperuser: (sql: string) => Promise<void>): Promise<void> {
  const key = { publicKey: SIGNER.publicKey };
  // Two batches: a checkpoint of 2 and one of 5.
  await append(db, 2);
  assert.deepEqual(await listAudit(db), [], 'appended, not yet sequenced: not listed');
  assert.equal((await verifyAudit(db, key)).ok, true);
  assert.equal((await sequenceAudit(db, { signer: SIGNER }))?.sequenced, 2);
  await append(db, 3, 2);
  const cp = await sequenceAllAudit(db, { signer: SIGNER });
  assert.equal(cp?.size, 5);
  assert.ok(cp && verifyCheckpointSignature(cp, SIGNER.publicKey));
  const good = await verifyAudit(db, key);
  assert.deepEqual(good, {
    ok: true,
    rows: 5,
    pending: 0,
    checkpoints: 2,
    rootHash: cp.rootHash,
    signed: true,
  });
  assert.equal((await listAudit(db, { providerId: 'P3' })).length, 1);
  assert.equal((await listAudit(db, { afterSeq: 3 })).length, 2);
  assert.deepEqual(
    (await listAudit(db)).map((r) => [r.seq, r.target]),
    [1, 2, 3, 4, 5].map((s) => [s, `P${s - 1}`]),
  );

  // The application role cannot change history: the trigger refuses; a seq is set once.
  await assert.rejects(db.query("UPDATE audit_log SET actor = 'x' WHERE seq = 2"), {
    code: '42501',
  });
  await assert.rejects(db.query('UPDATE audit_log SET seq = 9 WHERE seq = 2'), { code: '42501' });
  await assert.rejects(db.query('DELETE FROM audit_log WHERE seq = 5'), { code: '42501' });
  await assert.rejects(db.query('DELETE FROM audit_checkpoints'), { code: '42501' });
  await assert.rejects(db.query('UPDATE audit_tree SET level = 9'), { code: '42501' });
  await append(db, 1, 90);
  await assert.rejects(
    db.query("UPDATE audit_log SET seq = 6, actor = 'x' WHERE seq IS NULL"),
    { code: '42501' },
    'the sequencer may set the seq, nothing else',
  );
  assert.equal((await verifyAudit(db, key)).ok, true);
  assert.deepEqual(await verifyAudit(db, key), { ...good, pending: 1 });

  const off = 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;';
  const on = 'ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;';
  // An edited row: its leaf no longer holds.
  await asSuperuser(
    `${off} UPDATE audit_log SET detail = jsonb_set(detail, '{n}', '99') WHERE seq = 3; ${on}`,
  );
  assert.deepEqual(await verifyAudit(db, key), {
    ok: false,
    rows: 2,
    seq: 3,
    reason: 'hash_mismatch',
  });
  // …and its leaf recomputed: the root of the checkpoint that holds it no longer matches.
  const [r3] = await listAudit(db, { afterSeq: 2, limit: 1 });
  const forged = Buffer.from(contentLeaf(r3!)).toString('hex');
  await asSuperuser(
    `${off} UPDATE audit_log SET leaf_hash = decode('${forged}', 'hex') WHERE seq = 3; ${on}`,
  );
  assert.deepEqual(await verifyAudit(db, key), {
    ok: false,
    rows: 5,
    seq: 3,
    reason: 'root_mismatch',
  });
  await asSuperuser(
    `${off} UPDATE audit_log SET detail = jsonb_set(detail, '{n}', '2'), leaf_hash = decode('${r3!.leafHash}', 'hex') WHERE seq = 3; ${on}`,
  );
  assert.equal((await verifyAudit(db, key)).ok, true);
  // Two rows swapped: every leaf holds, the root does not.
  await asSuperuser(`${off} UPDATE audit_log SET seq = 100 WHERE seq = 1;
    UPDATE audit_log SET seq = 1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 100; ${on}`);
  assert.deepEqual(await verifyAudit(db, key), {
    ok: false,
    rows: 2,
    seq: 1,
    reason: 'root_mismatch',
  });
  await asSuperuser(`${off} UPDATE audit_log SET seq = 100 WHERE seq = 1;
    UPDATE audit_log SET seq = 1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 100; ${on}`);
  assert.equal((await verifyAudit(db, key)).ok, true);
  // A checkpoint re-signed by another key, or its root replaced: the signature says so.
  const other = memoryAuditSigner();
  const c = { publicKey: other.publicKey };
  assert.deepEqual(await verifyAudit(db, c), {
    ok: false,
    rows: 2,
    seq: 2,
    reason: 'bad_signature',
  });
  assert.equal((await verifyAudit(db)).ok, true, 'without a key: roots only');
  assert.equal((await verifyAudit(db)).ok && (await verifyAudit(db)).ok, true);
  // A deleted row leaves a gap; a cut tail is shorter than the newest checkpoint.
  await asSuperuser(`${off} DELETE FROM audit_log WHERE seq = 2; ${on}`);
  assert.deepEqual(await verifyAudit(db, key), { ok: false, rows: 1, seq: 2, reason: 'gap' });
  await asSuperuser(`${off} DELETE FROM audit_log WHERE seq >= 4; ${on}`);
  assert.deepEqual(await verifyAudit(db, key), { ok: false, rows: 1, seq: 2, reason: 'gap' });
  await asSuperuser(`${off} DELETE FROM audit_log WHERE seq >= 2; ${on}`);
  assert.deepEqual(await verifyAudit(db, key), { ok: false, rows: 1, seq: 2, reason: 'tail_cut' });
  // And the sequencer does not build on a damaged tree.
  await assert.rejects(sequenceAudit(db, { signer: SIGNER }), { code: 'AUDIT_DAMAGED' });
}

test('audit log on PGlite: tree, append-only trigger, tampering found', async () => {
  const db = await freshPglite([loaderMigrations]);
  try {
    await tamperCases(db, (sql) => db.exec(sql));
  } finally {
    await db.close();
  }
});

test(
  'audit log on PostgreSQL: 40 concurrent writers never wait for each other; 3 sequencers at once keep one tree',
  { skip: skipUnlessPostgres() },
  async () => {
    const pg = await startPostgres();
    try {
      const db = await openDb({ databaseUrl: pg.url, migrations: [loaderMigrations] });
      // One attempt each: with no shared lock, no writer is failed for another's sake.
      const sequencers = Promise.all(
        [0, 1, 2].map(async () => {
          for (let i = 0; i < 5; i++) await sequenceAudit(db, { signer: SIGNER, batch: 7 });
        }),
      );
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          db.transaction(
            async (tx) => {
              await tx.query('SELECT 1');
              await appendAudit(tx, { actor: 'system', action: 'test.concurrent', detail: { i } });
            },
            { attempts: 1 },
          ),
        ),
      );
      await sequencers;
      await sequenceAllAudit(db, { signer: SIGNER });
      const v = await verifyAudit(db, { publicKey: SIGNER.publicKey });
      assert.equal(v.ok, true);
      assert.equal(v.rows, 40);
      const rows = await listAudit(db, { limit: 1000 });
      assert.deepEqual(
        rows.map((r) => r.detail.i).sort((a, b) => Number(a) - Number(b)),
        Array.from({ length: 40 }, (_, i) => i),
      );
      await assert.rejects(db.exec('TRUNCATE audit_log'), { code: '42501' });
      await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER USER; TRUNCATE audit_log; ALTER TABLE audit_log ENABLE TRIGGER USER;
        ALTER TABLE audit_tree DISABLE TRIGGER USER; TRUNCATE audit_tree; ALTER TABLE audit_tree ENABLE TRIGGER USER;
        ALTER TABLE audit_checkpoints DISABLE TRIGGER USER; TRUNCATE audit_checkpoints; ALTER TABLE audit_checkpoints ENABLE TRIGGER USER;`);
      await tamperCases(db, (sql) => db.exec(sql));
      await db.close();
    } finally {
      await pg.stop();
    }
  },
);

test('the leaf is the documented format: SHA-256(0x00 ‖ canonical JSON of the row)', () => {
  // Computed outside the code (Python's json.dumps(sort_keys) and hashlib), so a change of format fails here.
  const leaf = contentLeaf({
    id: 'au_000000000000000000000001',
    at: '2026-12-07T00:00:00.000Z',
    actor: 'op_1',
    action: 'card.load',
    target: 'ci_1',
    detail: { providerId: 'MAEBASHI', area: 'extended' },
  });
  assert.equal(
    Buffer.from(leaf).toString('hex'),
    'e841690a9ee666a410926299e8db47e28d10201e3cec603357784a420fd87783',
  );
  // The old chain's row hash is unchanged (rows from before migration 012 are checked with it).
  assert.equal(GENESIS_HASH, '0'.repeat(64));
  assert.equal(
    rowHash(GENESIS_HASH, {
      seq: 1,
      at: '2026-12-07T00:00:00.000Z',
      actor: 'op_1',
      action: 'card.load',
      target: 'ci_1',
      detail: { providerId: 'MAEBASHI', area: 'extended' },
    }),
    '35f213c8e493482bbf09373dbe365ad33dffe7bbdc5bd340a8dbd4eec2c130eb',
  );
  assert.equal(canonicalJson('a"b\\c\n'), '"a\\"b\\\\c\\n"');
  assert.equal(
    canonicalJson([{ b: [2, { d: 1, c: 0 }], a: -1.5 }]),
    '[{"a":-1.5,"b":[2,{"c":0,"d":1}]}]',
  );
  assert.equal(canonicalJson({}), '{}');
  assert.equal(canonicalJson([]), '[]');
  for (const bad of [undefined, () => 1, Symbol('x'), Infinity, -Infinity])
    assert.throws(() => canonicalJson(bad), TypeError);
});

test('proofs from the stored tree: every row of every checkpoint, every pair of checkpoints', async () => {
  const db = await freshPglite([loaderMigrations]);
  try {
    // Checkpoints of uneven sizes: 1, 2, 5, 8, 13, 21.
    const sizes = [1, 2, 5, 8, 13, 21];
    let n = 0;
    for (const s of sizes) {
      await db.transaction(async (tx) => {
        for (; n < s; n++)
          await appendAudit(tx, { actor: 'system', action: 'test.proof', detail: { n } });
      });
      assert.equal((await sequenceAllAudit(db, { signer: SIGNER, batch: 4 }))?.size, s);
    }
    // A batch of 4 made checkpoints between those too: every one is a tree.
    for (const size of sizes) {
      for (let seq = 1; seq <= size; seq++) {
        const p = await auditInclusionProof(db, seq, size);
        assert.equal(p.row.seq, seq);
        assert.ok(
          verifyInclusion(
            seq - 1,
            size,
            contentLeaf(p.row),
            p.proof.map(unhex),
            unhex(p.checkpoint.rootHash),
          ),
          `${seq} in ${size}`,
        );
      }
    }
    for (const a of sizes)
      for (const b of sizes.filter((x) => x >= a)) {
        const c = await auditConsistencyProof(db, a, b);
        assert.ok(
          verifyConsistency(a, b, unhex(c.from.rootHash), unhex(c.to.rootHash), c.proof.map(unhex)),
          `${a}→${b}`,
        );
      }
    await assert.rejects(auditInclusionProof(db, 22), { code: 'AUDIT_BAD_RANGE' });
    await assert.rejects(auditInclusionProof(db, 0), { code: 'AUDIT_BAD_RANGE' });
    await assert.rejects(auditInclusionProof(db, 1, 4), { code: 'AUDIT_NO_CHECKPOINT' });
    await assert.rejects(auditConsistencyProof(db, 13, 8), { code: 'AUDIT_BAD_RANGE' });
    await assert.rejects(auditConsistencyProof(db, 0), { code: 'AUDIT_BAD_RANGE' });
    await assert.rejects(auditConsistencyProof(db, 3), { code: 'AUDIT_NO_CHECKPOINT' });
    // The newest by default.
    assert.equal((await auditInclusionProof(db, 3)).checkpoint.size, 21);
    assert.equal((await auditConsistencyProof(db, 8)).to.size, 21);
  } finally {
    await db.close();
  }
});

test('verify walks a log longer than one batch; unsigned checkpoints fail a key', async () => {
  const db = await freshPglite([loaderMigrations]);
  try {
    await db.transaction(async (tx) => {
      for (let i = 0; i < 7; i++)
        await appendAudit(tx, {
          actor: 'system',
          action: 'test.batch',
          detail: { i, at: undefined },
        });
    });
    const cp = await sequenceAllAudit(db, { batch: 3 }); // no signer: 3 unsigned checkpoints
    assert.equal(cp?.size, 7);
    assert.equal(cp?.signature, null);
    const last = (await listAudit(db)).at(-1)!;
    assert.deepEqual(last.detail, { i: 6 }); // what is hashed is what jsonb gives back
    for (const batch of [1, 2, 3, 7, 1000])
      assert.deepEqual(
        await verifyAudit(db, { batch }),
        { ok: true, rows: 7, pending: 0, checkpoints: 3, rootHash: cp!.rootHash, signed: false },
        `batch ${batch}`,
      );
    assert.deepEqual(await verifyAudit(db, { publicKey: SIGNER.publicKey }), {
      ok: false,
      rows: 3,
      seq: 3,
      reason: 'bad_signature',
    });
    // A row edited in the third batch of three is still found.
    await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      UPDATE audit_log SET actor = 'op_x' WHERE seq = 7;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;`);
    assert.deepEqual(await verifyAudit(db, { batch: 3 }), {
      ok: false,
      rows: 6,
      seq: 7,
      reason: 'hash_mismatch',
    });
    // An unsequenced row edited is found too.
    await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      UPDATE audit_log SET actor = 'system' WHERE seq = 7;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;`);
    await db.transaction((tx) => appendAudit(tx, { actor: 'system', action: 'test.pending' }));
    assert.equal((await verifyAudit(db, { batch: 3 })).ok, true);
    await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      UPDATE audit_log SET action = 'test.other' WHERE seq IS NULL;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;`);
    assert.deepEqual(await verifyAudit(db), {
      ok: false,
      rows: 7,
      seq: 8,
      reason: 'hash_mismatch',
    });
  } finally {
    await db.close();
  }
});

test('listAudit: 100 rows by default, at most 1000, after a seq, one provider', async () => {
  const db = await freshPglite([loaderMigrations]);
  try {
    await db.transaction(async (tx) => {
      for (let i = 1; i <= 1005; i++)
        await appendAudit(tx, {
          actor: 'system',
          action: 'test.list',
          target: null,
          detail: { providerId: i % 2 === 0 ? 'EVEN' : 'ODD', i },
        });
    });
    await sequenceAllAudit(db);
    const first = await listAudit(db);
    assert.equal(first.length, 100);
    assert.deepEqual([first[0]!.seq, first.at(-1)!.seq], [1, 100]);
    assert.equal((await listAudit(db, { limit: 5000 })).length, 1000);
    assert.equal((await listAudit(db, { limit: 1000 })).length, 1000);
    assert.equal((await listAudit(db, { limit: 3 })).length, 3);
    const tail = await listAudit(db, { afterSeq: 1000, limit: 1000 });
    assert.deepEqual(
      tail.map((r) => r.seq),
      [1001, 1002, 1003, 1004, 1005],
    );
    const even = await listAudit(db, { providerId: 'EVEN', afterSeq: 1000 });
    assert.deepEqual(
      even.map((r) => r.seq),
      [1002, 1004],
    );
    assert.ok(even.every((r) => r.detail.providerId === 'EVEN' && r.prevHash === null));
    assert.equal((await listAudit(db, { providerId: 'NONE' })).length, 0);
  } finally {
    await db.close();
  }
});

/** A database at the migrations before 012, with a hash chain written the old way. */
async function oldChainDb(rows: number): Promise<Db> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-old-'));
  try {
    for (const f of await readdir(loaderMigrations.dir))
      if (f.endsWith('.sql') && Number(f.slice(0, 3)) < 12)
        await cp(join(loaderMigrations.dir, f), join(dir, f));
    const db = await openPglite();
    await migrate(db, [{ owner: 'loader', dir }]);
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= rows; seq++) {
      const row = {
        seq,
        at: new Date(Date.UTC(2026, 11, 1, 0, 0, seq)).toISOString(),
        actor: 'op_1',
        action: 'test.old',
        target: null,
        detail: { providerId: 'OLD', seq },
      };
      const hash = rowHash(prev, row);
      await db.query(
        `WITH a AS (INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8))
         UPDATE audit_head SET seq = $1, hash = $8 WHERE id = 1`,
        [seq, row.at, row.actor, row.action, row.target, JSON.stringify(row.detail), prev, hash],
      );
      prev = hash;
    }
    return db;
  } finally {
    await rm(dir, { recursive: true });
  }
}

test('migration 012 keeps the old chain: its rows become the first leaves, still checked by their links', async () => {
  const db = await oldChainDb(6);
  try {
    assert.ok((await readMigrations(loaderMigrations)).some((m) => m.version === 12));
    await migrate(db, [loaderMigrations]);
    // Before the sequencer takes them in: listed, verified by their chain.
    assert.equal((await listAudit(db)).length, 6);
    assert.equal((await verifyAudit(db)).ok, true);
    await append(db, 3);
    const cp = await sequenceAllAudit(db, { signer: SIGNER });
    assert.equal(cp?.size, 9);
    const rows = await listAudit(db);
    assert.deepEqual(
      rows.map((r) => [r.seq, r.action, r.prevHash !== null]),
      [
        ...[1, 2, 3, 4, 5, 6].map((s) => [s, 'test.old', true]),
        ...[7, 8, 9].map((s) => [s, 'provider.create', false]),
      ],
    );
    assert.equal(rows[0]!.id, 'au_000000000000000000000001');
    const key = { publicKey: SIGNER.publicKey };
    assert.equal((await verifyAudit(db, key)).ok, true);
    const p = await auditInclusionProof(db, 4);
    assert.ok(p.proof.length > 0);
    // An old row edited: its chain hash no longer holds.
    const off = 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;';
    const on = 'ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;';
    await db.exec(`${off} UPDATE audit_log SET actor = 'op_x' WHERE seq = 4; ${on}`);
    assert.deepEqual(await verifyAudit(db, key), {
      ok: false,
      rows: 3,
      seq: 4,
      reason: 'hash_mismatch',
    });
    // …its hash recomputed too: the next link breaks.
    const r4 = rows[3]!;
    const h = rowHash(r4.prevHash!, { ...r4, actor: 'op_x' });
    await db.exec(`${off} UPDATE audit_log SET hash = '${h}' WHERE seq = 4; ${on}`);
    assert.deepEqual(await verifyAudit(db, key), {
      ok: false,
      rows: 3,
      seq: 4,
      reason: 'hash_mismatch',
    });
    await db.exec(
      `${off} UPDATE audit_log SET actor = 'op_1', hash = '${r4.hash}' WHERE seq = 4; ${on}`,
    );
    assert.equal((await verifyAudit(db, key)).ok, true);
    // The old head says how long the chain was.
    await db.exec('UPDATE audit_head SET seq = 5 WHERE id = 1');
    assert.deepEqual(await verifyAudit(db, key), {
      ok: false,
      rows: 6,
      seq: 7,
      reason: 'head_mismatch',
    });
  } finally {
    await db.close();
  }
});
