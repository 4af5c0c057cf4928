/**
 * One database interface for every server package. Two implementations sit behind
 * it: PGlite (embedded, the default) and `pg` (a PostgreSQL server, when
 * DATABASE_URL is set). Both speak the same SQL and run the same migrations.
 */

export interface QueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>>;
  /** Runs a script of several statements (no parameters): migrations. */
  exec(sql: string): Promise<void>;
}

export type Isolation = 'serializable' | 'read committed';

export interface TransactionOptions {
  /** Default `serializable`; conflicts (40001, 40P01) are retried. */
  readonly isolation?: Isolation;
  /** Attempts before a serialization failure is given up (default 20). */
  readonly attempts?: number;
  /**
   * Tables locked (SHARE ROW EXCLUSIVE, which conflicts with itself) right after
   * BEGIN and before any query, so the transaction's snapshot is taken after the
   * lock: writers of a hot row queue instead of failing with 40001.
   */
  readonly lockTables?: readonly string[];
}

export type DbKind = 'pglite' | 'postgres';

export interface Db extends Queryable {
  readonly kind: DbKind;
  /**
   * Runs `fn` in one transaction (SERIALIZABLE unless told otherwise) and commits;
   * rolls back if it throws. `fn` may run more than once on a serialization
   * failure, so it must not have effects outside the database.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATEs that mean "try the transaction again". */
const RETRYABLE = new Set(['40001', '40P01']);

export function sqlState(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    if (typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c)) return c;
  }
  return undefined;
}

export function isRetryable(e: unknown): boolean {
  const s = sqlState(e);
  return s !== undefined && RETRYABLE.has(s);
}

/** The unique constraint or index a 23505 error names, if any. */
export function uniqueViolation(e: unknown): string | undefined {
  if (sqlState(e) !== '23505') return undefined;
  const c = (e as { constraint?: unknown }).constraint;
  return typeof c === 'string' ? c : '';
}

/** Retry loop shared by both implementations; `once` runs one BEGIN..COMMIT. */
export async function withRetries<T>(once: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await once();
    } catch (e) {
      if (!isRetryable(e) || i >= attempts) throw e;
      // Exponential back-off with full jitter (capped), so retrying writers drift apart.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 2 * 2 ** i)));
    }
  }
}

const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** The LOCK statements of `lockTables` (names checked: they are spliced into SQL). */
export function lockStatements(tables: readonly string[] = []): string[] {
  return tables.map((t) => {
    if (!TABLE_NAME.test(t)) throw new Error(`not a table name: ${t}`);
    return `LOCK TABLE ${t} IN SHARE ROW EXCLUSIVE MODE`;
  });
}

export function beginStatement(isolation: Isolation): string {
  return isolation === 'serializable'
    ? 'BEGIN ISOLATION LEVEL SERIALIZABLE'
    : 'BEGIN ISOLATION LEVEL READ COMMITTED';
}
