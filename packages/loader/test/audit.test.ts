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
