/**
 * Applies the idp's migrations (packages/idp/migrations). Temporary: when
 * @myna-ap/db lands, its `migrate(db, [{ owner: 'idp', dir: IDP_MIGRATIONS_DIR }])`
 * replaces this, and the bookkeeping moves to its `schema_migrations`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Db } from '../db.ts';

export const IDP_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export async function migrateIdp(db: Db): Promise<string[]> {
  await db.exec(
    `CREATE TABLE IF NOT EXISTS idp_migrations (
       version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const done = new Set(
    (await db.query<{ version: number }>('SELECT version FROM idp_migrations')).rows.map(
      (r) => r.version,
    ),
  );
  const applied: string[] = [];
  const files = (await readdir(IDP_MIGRATIONS_DIR)).filter((f) => /^\d{3}_\w+\.sql$/.test(f));
  for (const file of files.sort()) {
    const version = Number(file.slice(0, 3));
    if (done.has(version)) continue;
    const sql = await readFile(join(IDP_MIGRATIONS_DIR, file), 'utf8');
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.query('INSERT INTO idp_migrations (version, name) VALUES ($1, $2)', [version, file]);
    });
    applied.push(file);
  }
  return applied;
}
