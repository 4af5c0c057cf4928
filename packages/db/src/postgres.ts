/** A PostgreSQL server through `pg` (DATABASE_URL=postgres://…). */
import pg from 'pg';
import type { Db, QueryResult, Queryable, TransactionOptions } from './db.ts';
import { beginStatement, lockStatements, withRetries } from './db.ts';

// int8 as a number (counts and sequences stay far below 2^53) and bytea as a plain
// Uint8Array, so rows look the same as PGlite's.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    if (oid === 17) {
      const parse = pg.types.getTypeParser(17, 'text') as (v: string) => Buffer;
      return (v: string) => Uint8Array.from(parse(v));
    }
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

function toParams(params?: readonly unknown[]): unknown[] | undefined {
  // pg sends a Uint8Array as text unless it is a Buffer.
  return params?.map((p) =>
    p instanceof Uint8Array && !Buffer.isBuffer(p)
      ? Buffer.from(p.buffer, p.byteOffset, p.length)
      : p,
  );
}

export function openPostgres(connectionString: string, poolSize = 10): Db {
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => {});
  const run = async <R>(c: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    const r = await c.query(sql, toParams(params));
    return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length } as QueryResult<R>;
  };
  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions) {
      return withRetries(async () => {
        const client = await pool.connect();
        let broken = false;
        try {
          // BEGIN and the locks in one round trip (a simple query: statements run in order).
          await client.query(
            [
              beginStatement(options?.isolation ?? 'serializable'),
              ...lockStatements(options?.lockTables),
            ].join('; '),
          );
          const out = await fn({
            query: (sql, params) => run(client, sql, params),
            exec: async (sql) => {
              await client.query(sql);
            },
          });
          await client.query('COMMIT');
          return out;
        } catch (e) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
          throw e;
        } finally {
          client.release(broken);
        }
      }, options?.attempts);
    },
    close: () => pool.end(),
  };
}
