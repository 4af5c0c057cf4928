import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, openPglite, readMigrations } from '@myna-ap/db';
import { loaderMigrations } from '../src/migrations.ts';
import { bootstrapPlatformAdmin } from '../src/store/operators.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';

test('a loader database made before migrations had owners opens as it is', async () => {
  const db = await openPglite();
  try {
    // What the loader's own migrator left: schema_migrations keyed by version alone.
    await db.exec(`CREATE TABLE schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const files = await readMigrations(loaderMigrations);
    assert.ok(files.length >= 4);
    for (const m of files) {
      await db.exec(m.sql);
      await db.query(
        'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
        [m.version, m.name, m.checksum],
      );
    }
    assert.deepEqual(await migrate(db, [loaderMigrations]), [], 'nothing runs twice');
    const rows = await db.query<{ owner: string; version: number }>(
      'SELECT owner, version FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.owner, r.version]),
      files.map((m) => ['loader', m.version]),
    );
    // And the loader works on it.
    const ctx = {
      db,
      config: TEST_CONFIG,
      keys: new MemoryKeyStore('test'),
      now: () => new Date(),
    };
    const made = await bootstrapPlatformAdmin(ctx, 'platform admin password');
    assert.equal(made?.login, 'admin');
  } finally {
    await db.close();
  }
});
