import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '@myna-ap/db';
import { appendAudit, canonicalJson, listAudit, verifyAudit } from '../src/store/audit.ts';
import type { Db } from '@myna-ap/db';
import { freshPglite, skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';

test('canonical JSON sorts keys and refuses what JSON cannot hold', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }),
    '{"a":[true,null,"x"],"b":1}',
  );
  assert.equal(canonicalJson({ z: { y: 1, x: 2 } }), '{"z":{"x":2,"y":1}}');
  assert.throws(() => canonicalJson(NaN), TypeError);
  assert.throws(() => canonicalJson(1n), TypeError);
});

async function tamperCases(db: Db, asSuperuser: (sql: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await db.transaction((tx) =>
      appendAudit(tx, {
        actor: 'op_1',
        action: 'provider.create',
        target: `P${i}`,
        detail: { providerId: `P${i}`, n: i, name: '前橋市', nested: { b: 2, a: 1 } },
      }),
    );
  }
  assert.deepEqual(await verifyAudit(db), {
    ok: true,
    rows: 5,
    headHash: (await listAudit(db)).at(-1)?.hash,
  });
  assert.equal((await listAudit(db, { providerId: 'P3' })).length, 1);
  assert.equal((await listAudit(db, { afterSeq: 3 })).length, 2);

  // The application role cannot change history: the trigger refuses.
  await assert.rejects(db.query("UPDATE audit_log SET actor = 'x' WHERE seq = 2"), {
    code: '42501',
  });
  await assert.rejects(db.query('DELETE FROM audit_log WHERE seq = 5'), { code: '42501' });

  // Someone with the power to disable the trigger edits a row: verify names it.
  await asSuperuser(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
    UPDATE audit_log SET detail = jsonb_set(detail, '{n}', '99') WHERE seq = 3;`);
  assert.deepEqual(await verifyAudit(db), { ok: false, rows: 2, seq: 3, reason: 'hash_mismatch' });
  // …and recomputes that row's hash: the next row's link breaks.
  const rows = await listAudit(db);
  const { rowHash } = await import('../src/store/audit.ts');
  const r3 = rows[2]!;
  await asSuperuser(`UPDATE audit_log SET hash = '${rowHash(r3.prevHash, r3)}' WHERE seq = 3;`);
  assert.deepEqual(await verifyAudit(db), { ok: false, rows: 3, seq: 4, reason: 'chain_broken' });
  await asSuperuser(
    `UPDATE audit_log SET detail = jsonb_set(detail, '{n}', '2'), hash = '${r3.hash}' WHERE seq = 3;`,
  );
  assert.equal((await verifyAudit(db)).ok, true);
  // A deleted row leaves a gap; a cut tail no longer matches the head.
  await asSuperuser('DELETE FROM audit_log WHERE seq = 2;');
  assert.deepEqual(await verifyAudit(db), { ok: false, rows: 1, seq: 2, reason: 'gap' });
  await asSuperuser('DELETE FROM audit_log WHERE seq >= 2;');
  assert.deepEqual(await verifyAudit(db), { ok: false, rows: 1, seq: 2, reason: 'head_mismatch' });
}

test('audit log on PGlite: chain, append-only trigger, tampering found', async () => {
  const db = await freshPglite([loaderMigrations]);
  try {
    await tamperCases(db, (sql) => db.exec(sql));
  } finally {
    await db.close();
  }
});

test(
  'audit log on PostgreSQL: concurrent appends keep one unbroken chain',
  { skip: skipUnlessPostgres() },
  async () => {
    const pg = await startPostgres();
    try {
      const db = await openDb({ databaseUrl: pg.url, migrations: [loaderMigrations] });
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          db.transaction(
            async (tx) => {
              await tx.query('SELECT 1');
              await appendAudit(tx, { actor: 'system', action: 'test.concurrent', detail: { i } });
            },
            { attempts: 100 },
          ),
        ),
      );
      const v = await verifyAudit(db);
      assert.equal(v.ok, true);
      assert.equal(v.rows, 40);
      await assert.rejects(db.exec('TRUNCATE audit_log'), { code: '42501' });
      await db.exec(
        "ALTER TABLE audit_log DISABLE TRIGGER USER; TRUNCATE audit_log; ALTER TABLE audit_log ENABLE TRIGGER USER; UPDATE audit_head SET seq = 0, hash = repeat('0', 64);",
      );
      await tamperCases(db, (sql) => db.exec(sql));
      await db.close();
    } finally {
      await pg.stop();
    }
  },
);

test('the row hash is the documented format: SHA-256(prev ‖ "\\n" ‖ canonical JSON)', async () => {
  const { rowHash, GENESIS_HASH } = await import('../src/store/audit.ts');
  assert.equal(GENESIS_HASH, '0'.repeat(64));
  // Computed outside the code (printf … | sha256sum), so a change of format fails here.
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

test('verify walks a chain longer than one batch, and a forged head is found by seq or hash alone', async () => {
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
    const head = (await listAudit(db)).at(-1)!;
    assert.deepEqual(head.detail, { i: 6 }); // what is hashed is what jsonb gives back
    for (const batch of [1, 3, 7, 1000])
      assert.deepEqual(
        await verifyAudit(db, batch),
        { ok: true, rows: 7, headHash: head.hash },
        `batch ${batch}`,
      );
    // A row edited in the third batch of three is still found.
    await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      UPDATE audit_log SET actor = 'op_x' WHERE seq = 7;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;`);
    assert.deepEqual(await verifyAudit(db, 3), {
      ok: false,
      rows: 6,
      seq: 7,
      reason: 'hash_mismatch',
    });
    await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      UPDATE audit_log SET actor = 'system' WHERE seq = 7;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;`);
    assert.equal((await verifyAudit(db, 3)).ok, true);
    // The head with the right seq and a wrong hash, then the right hash and a wrong seq.
    await db.exec(`UPDATE audit_head SET hash = '${'f'.repeat(64)}' WHERE id = 1`);
    assert.deepEqual(await verifyAudit(db), {
      ok: false,
      rows: 7,
      seq: 8,
      reason: 'head_mismatch',
    });
    await db.exec(`UPDATE audit_head SET hash = '${head.hash}', seq = 8 WHERE id = 1`);
    assert.deepEqual(await verifyAudit(db), {
      ok: false,
      rows: 7,
      seq: 8,
      reason: 'head_mismatch',
    });
    await db.exec('UPDATE audit_head SET seq = 7 WHERE id = 1');
    assert.equal((await verifyAudit(db)).ok, true);
    // Appending needs the head: a damaged schema says so instead of forking the chain.
    await db.exec('DELETE FROM audit_head');
    await assert.rejects(
      db.transaction((tx) => appendAudit(tx, { actor: 'system', action: 'test.nohead' })),
      /audit_head is missing/,
    );
    assert.deepEqual(await verifyAudit(db), {
      ok: false,
      rows: 7,
      seq: 8,
      reason: 'head_mismatch',
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
          detail: { providerId: i % 2 === 0 ? 'EVEN' : 'ODD' },
        });
    });
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
    assert.ok(even.every((r) => r.detail.providerId === 'EVEN' && r.prevHash.length === 64));
    assert.equal((await listAudit(db, { providerId: 'NONE' })).length, 0);
  } finally {
    await db.close();
  }
});
