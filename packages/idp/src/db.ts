/**
 * The database as the identity platform sees it. The shared `@myna-ap/db`
 * package (floor 0) is landing; until then this is the part of its `Db`
 * interface the idp uses, declared here so that switching is one line:
 *
 *   export type { Db, Queryable } from '@myna-ap/db';
 *
 * Any `Db` of the loader or of @myna-ap/db fits it as it is.
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
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
