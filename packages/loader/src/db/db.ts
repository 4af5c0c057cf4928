/**
 * One database interface for the loading system. Two implementations sit behind
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
  /** Attempts before a serialization failure is given up (default 8). */
  readonly attempts?: number;
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
export async function withRetries<T>(once: () => Promise<T>, attempts: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await once();
    } catch (e) {
      if (!isRetryable(e) || i >= attempts) throw e;
      // Back off a little, with jitter, so two retrying writers drift apart.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * i));
    }
  }
}

export function beginStatement(isolation: Isolation): string {
  return isolation === 'serializable'
    ? 'BEGIN ISOLATION LEVEL SERIALIZABLE'
    : 'BEGIN ISOLATION LEVEL READ COMMITTED';
}
