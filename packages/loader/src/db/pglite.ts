/** The embedded database: PGlite (PostgreSQL compiled to WebAssembly), in memory or in a data dir. */
import { PGlite } from '@electric-sql/pglite';
import { mkdir } from 'node:fs/promises';
import type { Db, QueryResult, Queryable, TransactionOptions } from './db.ts';
import { lockStatements, withRetries } from './db.ts';
import { lockDataDir } from './dirLock.ts';

export interface PgliteOptions {
  /** Start from this dump (`dumpPglite`) instead of running initdb: much faster, for tests. */
  readonly template?: Blob;
}

export async function openPglite(
  dataDir?: string,
  options: PgliteOptions = {},
): Promise<Db & { dump(): Promise<Blob> }> {
  let unlock = async () => {};
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    unlock = await lockDataDir(dataDir);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.template ? { loadDataDir: options.template } : {}),
    });
  } catch (e) {
    await unlock();
    throw e;
  }
  const q = async <R>(
    runner: { query: PGlite['query'] },
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    const r = await runner.query<R>(sql, params ? [...params] : undefined);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  };
  return {
    kind: 'pglite',
    query: (sql, params) => q(pg, sql, params),
    exec: async (sql) => {
      await pg.exec(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions) {
      // PGlite is one connection behind a mutex: transactions already run one at a
      // time, so SERIALIZABLE holds trivially; we still ask for it to keep one SQL.
      return withRetries(
        () =>
          pg.transaction(async (tx) => {
            // The isolation level and the locks in one call (statements run in order).
            await tx.exec(
              [
                options?.isolation === 'read committed'
                  ? 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED'
                  : 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
                ...lockStatements(options?.lockTables),
              ].join('; '),
            );
            return fn({
              query: (sql, params) => q(tx, sql, params),
              exec: async (sql) => {
                await tx.exec(sql);
              },
            });
          }),
        options?.attempts,
      );
    },
    /** The data dir as a tarball, to open copies of this database quickly. */
    dump: async () => {
      const d = await pg.dumpDataDir('none');
      return d instanceof Blob ? d : new Blob([d]);
    },
    async close() {
      try {
        await pg.close();
      } finally {
        await unlock();
      }
    },
  };
}
