import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite, pgliteFsyncCount } from '../src/db/pglite.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { migrate, readMigrations } from '../src/db/migrate.ts';
import { openDb } from '../src/db/open.ts';
import type { Db } from '../src/db/db.ts';
import { skipUnlessPostgres, startPostgres } from './pgCluster.ts';

async function exercise(db: Db): Promise<void> {
  const first = await migrate(db);
  assert.ok(first.includes(1), 'migration 1 applied on an empty database');
  assert.deepEqual(await migrate(db), [], 'a second run applies nothing');
  const r = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  assert.deepEqual(
    r.rows.map((x) => x.version),
    first,
  );

  // Rows come back the same on both backends: bytea as Uint8Array, int8 as number.
  const row = await db.query<{ b: Uint8Array; n: number; j: { a: number } }>(
    'SELECT $1::bytea AS b, 5::bigint AS n, \'{"a":1}\'::jsonb AS j',
    [Uint8Array.of(1, 2, 3)],
  );
  assert.deepEqual(row.rows[0], { b: Uint8Array.of(1, 2, 3), n: 5, j: { a: 1 } });

  // A failing transaction leaves nothing behind.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO settings (key, value) VALUES ('t', '1')");
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal((await db.query("SELECT 1 FROM settings WHERE key = 't'")).rowCount, 0);
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO settings (key, value) VALUES ('t', '1')");
  });
  assert.equal((await db.query("SELECT 1 FROM settings WHERE key = 't'")).rows.length, 1);

  // SQL errors carry their SQLSTATE.
  await assert.rejects(db.query('SELECT * FROM no_such_table'), (e: { code?: string }) => {
    return e.code === '42P01';
  });

  // Concurrent read-modify-write under SERIALIZABLE: no lost update.
  await db.query("INSERT INTO settings (key, value) VALUES ('counter', '0')");
  await Promise.all(
    Array.from({ length: 8 }, () =>
      db.transaction(
        async (tx) => {
          const c = await tx.query<{ value: number }>(
            "SELECT value FROM settings WHERE key = 'counter'",
          );
          const v = Number(c.rows[0]?.value ?? 0);
          await tx.query("UPDATE settings SET value = $1::jsonb WHERE key = 'counter'", [
            JSON.stringify(v + 1),
          ]);
        },
        { attempts: 50 },
      ),
    ),
  );
  const c = await db.query<{ value: number }>("SELECT value FROM settings WHERE key = 'counter'");
  assert.equal(c.rows[0]?.value, 8);
}

test('PGlite in memory: migrations, rows, transactions', async () => {
  const db = await openPglite();
  try {
    await exercise(db);
  } finally {
    await db.close();
  }
});

test('PGlite in a data dir keeps its data across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-pglite-'));
  try {
    const a = await openDb({ dataDir: join(dir, 'db') });
    await a.query("INSERT INTO settings (key, value) VALUES ('kept', 'true')");
    await a.close();
    const b = await openDb({ dataDir: join(dir, 'db') });
    // A second opener of the same directory is refused while the first holds it.
    await assert.rejects(openDb({ dataDir: join(dir, 'db') }), { code: 'DATA_DIR_IN_USE' });
    const r = await b.query<{ value: boolean }>("SELECT value FROM settings WHERE key = 'kept'");
    assert.equal(r.rows[0]?.value, true);
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PGlite in a data dir is durable: fsync on, the WAL flushed with fsync at every commit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-pglite-'));
  try {
    const db = await openDb({ dataDir: join(dir, 'db') });
    const show = async (name: string) =>
      Object.values((await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0] ?? {})[0];
    assert.equal(await show('fsync'), 'on');
    assert.equal(await show('wal_sync_method'), 'fsync');
    const before = pgliteFsyncCount();
    for (let i = 0; i < 3; i++) {
      await db.transaction((tx) =>
        tx.query('INSERT INTO settings (key, value) VALUES ($1, $2)', [`k${i}`, 'true']),
      );
    }
    // Each commit reached the disk (a no-op fsync would leave the count where it was).
    assert.ok(pgliteFsyncCount() - before >= 3, `${pgliteFsyncCount() - before} fsyncs`);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migrations: bad names, duplicates and edited files are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-mig-'));
  try {
    writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x int);');
    writeFileSync(join(dir, 'oops.sql'), 'SELECT 1;');
    await assert.rejects(readMigrations(dir), { code: 'MIGRATION_BAD_NAME' });
    rmSync(join(dir, 'oops.sql'));
    writeFileSync(join(dir, '001_b.sql'), 'SELECT 1;');
    await assert.rejects(readMigrations(dir), { code: 'MIGRATION_DUPLICATE' });
    rmSync(join(dir, '001_b.sql'));
    const db = await openPglite();
    try {
      assert.deepEqual(await migrate(db, await readMigrations(dir)), [1]);
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x bigint);');
      await assert.rejects(migrate(db, await readMigrations(dir)), { code: 'MIGRATION_CHANGED' });
      // A failing migration is rolled back whole and not recorded.
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x int);');
      writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE b (y int); SELECT * FROM nope;');
      await assert.rejects(migrate(db, await readMigrations(dir)));
      assert.equal((await db.query("SELECT to_regclass('b') AS t")).rows[0]?.t ?? null, null);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a data dir lock left by a dead process is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-lock-'));
  try {
    // A pid far above any real one stands for a process that is gone.
    writeFileSync(join(dir, 'db.lock'), '999999999\n');
    const db = await openDb({ dataDir: join(dir, 'db') });
    await db.close();
    writeFileSync(join(dir, 'db.lock'), `${process.ppid}\n`);
    await assert.rejects(
      openDb({ dataDir: join(dir, 'db') }),
      (e: { code?: string; text?: { ja: string } }) => {
        return e.code === 'DATA_DIR_IN_USE' && /使用中/.test(e.text?.ja ?? '');
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DATABASE_URL must be a postgres URL', async () => {
  await assert.rejects(openDb({ databaseUrl: 'mysql://x' }), { code: 'DATABASE_URL_INVALID' });
});

test(
  'PostgreSQL: migrations, rows, transactions, concurrent migrators',
  { skip: skipUnlessPostgres() },
  async () => {
    const pg = await startPostgres();
    try {
      // Four servers starting together apply each migration once.
      const dbs = [0, 1, 2, 3].map(() => openPostgres(pg.url, 3));
      const applied = await Promise.all(dbs.map((d) => migrate(d)));
      assert.equal(applied.flat().filter((v) => v === 1).length, 1);
      await Promise.all(dbs.slice(1).map((d) => d.close()));
      const db = dbs[0]!;
      await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await exercise(db);
      await db.close();
    } finally {
      await pg.stop();
    }
  },
);
