/**
 * An in-memory PGlite behind the idp's Db interface, migrated. Temporary: when
 * @myna-ap/db lands its openPglite replaces this file.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable } from '../src/db.ts';
import { migrateIdp } from '../src/store/migrate.ts';

function queryable(pg: PGlite | Transaction): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const r = await pg.query<R>(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
  };
}

export async function testDb(): Promise<Db> {
  const pg = await PGlite.create();
  const db: Db = {
    ...queryable(pg),
    transaction: (fn) => pg.transaction((tx) => fn(queryable(tx))),
    close: () => pg.close(),
  };
  await migrateIdp(db);
  return db;
}
