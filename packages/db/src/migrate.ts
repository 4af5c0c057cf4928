/**
 * Schema migrations, owned per package. Each package that has tables keeps its
 * own folder of `NNN_name.sql` files and names itself the owner; a server applies
 * the sets of every package it runs in one order — the list's order, each set's
 * files by version — so a package's tables may reference those of a package
 * listed before it:
 *
 *   await migrate(db, [loaderMigrations, idpMigrations]);
 *
 * Each file runs in its own transaction under a transaction-scoped advisory lock
 * and is recorded in `schema_migrations`, keyed by owner and version, with a
 * SHA-256 checksum (an applied file that changed is refused). Several servers
 * starting at once over one PostgreSQL apply each file exactly once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.ts';
import { DbError } from './errors.ts';

/** A package's migrations: who owns them and the folder they live in. */
export interface MigrationSet {
  /** The owning package, lower case (`loader`, `idp`): the bookkeeping key. */
  readonly owner: string;
  /** Absolute path of the folder of `NNN_name.sql` files. */
  readonly dir: string;
}

export interface Migration {
  readonly owner: string;
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** What one `migrate` call applied. */
export interface AppliedMigration {
  readonly owner: string;
  readonly version: number;
  readonly name: string;
}

/** pg_advisory_xact_lock key: "myna" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x6d796e61;

/**
 * Before migrations had owners only the loading system had any: the rows of a
 * database made then (no `owner` column) are its, and are adopted under this name.
 */
export const UNOWNED_MIGRATIONS_OWNER = 'loader';

const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;
const OWNER = /^[a-z][a-z0-9_-]*$/;

export async function readMigrations(set: MigrationSet): Promise<Migration[]> {
  checkOwners([set]);
  const names = (await readdir(set.dir)).filter((n) => n.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (!m) {
      throw new DbError('MIGRATION_BAD_NAME', {
        en: `migration file ${name} of ${set.owner} is not named NNN_name.sql`,
        ja: `${set.owner} のマイグレーション ${name} の名前が NNN_name.sql の形式ではありません`,
      });
    }
    const sql = await readFile(join(set.dir, name), 'utf8');
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) {
      throw new DbError('MIGRATION_DUPLICATE', {
        en: `two migrations of ${set.owner} have version ${version}`,
        ja: `${set.owner} のバージョン ${version} のマイグレーションが重複しています`,
      });
    }
    out.push({
      owner: set.owner,
      version,
      name: m[2] ?? '',
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out;
}

function checkOwners(sets: readonly MigrationSet[]): void {
  const seen = new Set<string>();
  for (const s of sets) {
    if (!OWNER.test(s.owner) || seen.has(s.owner)) {
      throw new DbError('MIGRATION_OWNER_INVALID', {
        en: `migration owner "${s.owner}" is not a lower-case name or is listed twice`,
        ja: `マイグレーションの所有者「${s.owner}」が小文字の名前でないか、二度指定されています`,
      });
    }
    seen.add(s.owner);
  }
}

/** Makes `schema_migrations`, or brings one made before owners up to date. */
async function prepareBookkeeping(tx: Queryable): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    owner text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, version))`);
  const owned = await tx.query(
    `SELECT 1 FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'schema_migrations'
        AND column_name = 'owner'`,
  );
  if (owned.rows.length > 0) return;
  // A database made before owners: its key was the version alone.
  await tx.query('ALTER TABLE schema_migrations ADD COLUMN owner text');
  await tx.query('UPDATE schema_migrations SET owner = $1', [UNOWNED_MIGRATIONS_OWNER]);
  await tx.exec(`ALTER TABLE schema_migrations ALTER COLUMN owner SET NOT NULL;
    ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey;
    ALTER TABLE schema_migrations ADD PRIMARY KEY (owner, version);`);
}

// READ COMMITTED: after waiting for the lock, the next statement sees what the
// previous holder committed.
function underLock<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      return fn(tx);
    },
    { isolation: 'read committed' },
  );
}

/** Applies what is missing of `sets`, in the list's order; returns what it applied now. */
export async function migrate(db: Db, sets: readonly MigrationSet[]): Promise<AppliedMigration[]> {
  checkOwners(sets);
  const lists: Migration[][] = [];
  for (const s of sets) lists.push(await readMigrations(s));
  await underLock(db, prepareBookkeeping);
  const applied: AppliedMigration[] = [];
  for (const m of lists.flat()) {
    const did = await underLock(db, async (tx) => {
      const r = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migrations WHERE owner = $1 AND version = $2',
        [m.owner, m.version],
      );
      const row = r.rows[0];
      if (row) {
        if (row.checksum !== m.checksum) {
          throw new DbError('MIGRATION_CHANGED', {
            en: `migration ${m.owner}/${m.version}_${m.name} was changed after it was applied`,
            ja: `適用済みのマイグレーション ${m.owner}/${m.version}_${m.name} が変更されています`,
          });
        }
        return false;
      }
      await tx.exec(m.sql);
      await tx.query(
        'INSERT INTO schema_migrations (owner, version, name, checksum) VALUES ($1, $2, $3, $4)',
        [m.owner, m.version, m.name, m.checksum],
      );
      return true;
    });
    if (did) applied.push({ owner: m.owner, version: m.version, name: m.name });
  }
  return applied;
}
