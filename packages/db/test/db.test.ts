import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  migrate,
  openDb,
  openPglite,
  openPostgres,
  pgliteFsyncCount,
  readMigrations,
  type Db,
  type MigrationSet,
} from '@myna-ap/db';
import { freshPglite, skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';

const fixture = (name: string) => fileURLToPath(new URL(`./migrations/${name}/`, import.meta.url));
/** Two owners: `base` has settings and counters, `notes` refers to base's settings. */
const BASE: MigrationSet = { owner: 'base', dir: fixture('base') };
const NOTES: MigrationSet = { owner: 'notes', dir: fixture('notes') };
const SETS = [BASE, NOTES];

async function exercise(db: Db): Promise<void> {
  const first = await migrate(db, SETS);
  assert.deepEqual(
    first.map((m) => `${m.owner}/${m.version}_${m.name}`),
    ['base/1_settings', 'base/2_counters', 'notes/1_notes'],
    'every owner applied, in the order listed',
  );
  assert.deepEqual(await migrate(db, SETS), [], 'a second run applies nothing');
  const r = await db.query<{ owner: string; version: number }>(
    'SELECT owner, version FROM schema_migrations ORDER BY applied_at, owner, version',
  );
  assert.deepEqual(
    r.rows.map((x) => [x.owner, x.version]),
    first.map((m) => [m.owner, m.version]),
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
    const a = await openDb({ dataDir: join(dir, 'db'), migrations: [BASE] });
    await a.query("INSERT INTO settings (key, value) VALUES ('kept', 'true')");
    await a.close();
    const b = await openDb({ dataDir: join(dir, 'db'), migrations: [BASE] });
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
    const db = await openDb({ dataDir: join(dir, 'db'), migrations: [BASE] });
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
    const set: MigrationSet = { owner: 't', dir };
    writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x int);');
    writeFileSync(join(dir, 'oops.sql'), 'SELECT 1;');
    await assert.rejects(readMigrations(set), { code: 'MIGRATION_BAD_NAME' });
    rmSync(join(dir, 'oops.sql'));
    writeFileSync(join(dir, '001_b.sql'), 'SELECT 1;');
    await assert.rejects(readMigrations(set), { code: 'MIGRATION_DUPLICATE' });
    rmSync(join(dir, '001_b.sql'));
    const db = await openPglite();
    try {
      // Owners are lower-case names, each listed once.
      await assert.rejects(migrate(db, [{ owner: 'Loader', dir }]), {
        code: 'MIGRATION_OWNER_INVALID',
      });
      await assert.rejects(migrate(db, [set, set]), { code: 'MIGRATION_OWNER_INVALID' });
      assert.deepEqual(
        (await migrate(db, [set])).map((m) => m.version),
        [1],
      );
      // The same file under another owner is that owner's own migration.
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a2 (x int);');
      assert.deepEqual(
        (await migrate(db, [{ owner: 'u', dir }])).map((m) => `${m.owner}/${m.version}`),
        ['u/1'],
      );
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x bigint);');
      await assert.rejects(migrate(db, [set]), { code: 'MIGRATION_CHANGED' });
      // A failing migration is rolled back whole and not recorded.
      writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x int);');
      writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE b (y int); SELECT * FROM nope;');
      await assert.rejects(migrate(db, [set]));
      assert.equal((await db.query("SELECT to_regclass('b') AS t")).rows[0]?.t ?? null, null);
      assert.equal(
        (await db.query("SELECT 1 FROM schema_migrations WHERE owner = 't' AND version = 2")).rows
          .length,
        0,
      );
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A database made before migrations had owners, as that code left it: its
 * `schema_migrations` keyed by version alone, every row the loading system's.
 */
async function makePreOwnerDatabase(db: Db, set: MigrationSet): Promise<void> {
  await db.exec(`CREATE TABLE schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const m of await readMigrations(set)) {
    await db.exec(m.sql);
    await db.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
      m.version,
      m.name,
      m.checksum,
    ]);
  }
}

async function exerciseUpgrade(db: Db): Promise<void> {
  // The loader's folder then is `base` here: what matters is the bookkeeping.
  const loader: MigrationSet = { owner: 'loader', dir: BASE.dir };
  await makePreOwnerDatabase(db, loader);
  await db.query("INSERT INTO settings (key, value) VALUES ('kept', 'true')");
  const applied = await migrate(db, [loader, NOTES]);
  assert.deepEqual(
    applied.map((m) => `${m.owner}/${m.version}`),
    ['notes/1'],
    "the old rows count as the loader's: nothing of it runs again, the new owner's runs",
  );
  const rows = await db.query<{ owner: string; version: number; name: string }>(
    'SELECT owner, version, name FROM schema_migrations ORDER BY owner, version',
  );
  assert.deepEqual(
    rows.rows.map((r) => `${r.owner}/${r.version}_${r.name}`),
    ['loader/1_settings', 'loader/2_counters', 'notes/1_notes'],
  );
  assert.deepEqual(await migrate(db, [loader, NOTES]), []);
  // The data stayed, and owners now share version numbers without colliding.
  assert.equal((await db.query("SELECT 1 FROM settings WHERE key = 'kept'")).rows.length, 1);
  // An edited file of the old rows is still caught.
  const dir = mkdtempSync(join(tmpdir(), 'myna-mig-'));
  try {
    writeFileSync(join(dir, '001_settings.sql'), 'SELECT 1;');
    await assert.rejects(migrate(db, [{ owner: 'loader', dir }]), { code: 'MIGRATION_CHANGED' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a database made before migrations had owners keeps working after the upgrade', async () => {
  const db = await openPglite();
  try {
    await exerciseUpgrade(db);
  } finally {
    await db.close();
  }
});

test('freshPglite: a migrated database of its own each time', async () => {
  const a = await freshPglite(SETS);
  const b = await freshPglite(SETS);
  try {
    await a.query("INSERT INTO settings (key, value) VALUES ('only-a', 'true')");
    assert.equal((await b.query("SELECT 1 FROM settings WHERE key = 'only-a'")).rows.length, 0);
    assert.equal((await b.query('SELECT 1 FROM notes')).rows.length, 0);
    assert.deepEqual(await migrate(b, SETS), []);
  } finally {
    await a.close();
    await b.close();
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
      const applied = await Promise.all(dbs.map((d) => migrate(d, SETS)));
      assert.equal(applied.flat().filter((m) => m.owner === 'base' && m.version === 1).length, 1);
      assert.equal(applied.flat().length, 3);
      await Promise.all(dbs.slice(1).map((d) => d.close()));
      const db = dbs[0]!;
      await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await exercise(db);
      await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await exerciseUpgrade(db);
      await db.close();
    } finally {
      await pg.stop();
    }
  },
);
