/**
 * Schema migrations: packages/loader/migrations/NNN_name.sql, applied in order,
 * each in its own transaction under a transaction-scoped advisory lock, recorded
 * in schema_migrations. Several servers starting at once over one PostgreSQL
 * apply each file exactly once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import { LoaderError } from '../errors.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** pg_advisory_xact_lock key: "myna" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x6d796e61;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (!m) {
      throw new LoaderError('MIGRATION_BAD_NAME', {
        en: `migration file ${name} is not named NNN_name.sql`,
        ja: `マイグレーション ${name} の名前が NNN_name.sql の形式ではありません`,
      });
    }
    const sql = await readFile(join(dir, name), 'utf8');
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) {
      throw new LoaderError('MIGRATION_DUPLICATE', {
        en: `two migrations have version ${version}`,
        ja: `バージョン ${version} のマイグレーションが重複しています`,
      });
    }
    out.push({
      version,
      name: m[2] ?? '',
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out;
}

/** Applies what is missing; returns the versions applied now. */
export async function migrate(db: Db, migrations?: readonly Migration[]): Promise<number[]> {
  const list = migrations ?? (await readMigrations());
  const applied: number[] = [];
  for (const m of list) {
    const did = await db.transaction(
      async (tx) => {
        // READ COMMITTED: after waiting for the lock, the next statement sees what
        // the previous holder committed.
        await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now())`);
        const r = await tx.query<{ checksum: string }>(
          'SELECT checksum FROM schema_migrations WHERE version = $1',
          [m.version],
        );
        const row = r.rows[0];
        if (row) {
          if (row.checksum !== m.checksum) {
            throw new LoaderError('MIGRATION_CHANGED', {
              en: `migration ${m.version}_${m.name} was changed after it was applied`,
              ja: `適用済みのマイグレーション ${m.version}_${m.name} が変更されています`,
            });
          }
          return false;
        }
        await tx.exec(m.sql);
        await tx.query(
          'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [m.version, m.name, m.checksum],
        );
        return true;
      },
      { isolation: 'read committed' },
    );
    if (did) applied.push(m.version);
  }
  return applied;
}
