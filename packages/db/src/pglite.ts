/** The embedded database: PGlite (PostgreSQL compiled to WebAssembly), in memory or in a data dir. */
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { fsyncSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Db, QueryResult, Queryable, TransactionOptions } from './db.ts';
import { lockStatements, withRetries } from './db.ts';
import { lockDataDir } from './dirLock.ts';

export interface PgliteOptions {
  /** Start from this dump (`dumpPglite`) instead of running initdb: much faster, for tests. */
  readonly template?: Blob;
}

let fsyncs = 0;
/** How many fsyncs the embedded databases of this process have made (tests). */
export function pgliteFsyncCount(): number {
  return fsyncs;
}

/**
 * PGlite on a data dir, made durable. Out of the box it starts PostgreSQL with
 * `-F` (fsync off) and its Node file system has no fsync at all: a commit
 * survives `kill -9` (the OS has the pages) but not a power cut, which could even
 * leave the database torn. So: the file system's fsync reaches the disk
 * (`fsyncSync` on the real file descriptor, directories included), PostgreSQL
 * runs with fsync on, and the WAL is flushed with fsync (`fdatasync` is a
 * different call the file system drops). About 0.6 ms a commit here.
 */
class DurableNodeFS extends NodeFS {
  override async init(pg: unknown, opts: Record<string, unknown>) {
    const r = await super.init(pg as never, opts as never);
    const o = r.emscriptenOpts as { preRun?: ((mod: unknown) => void)[] };
    o.preRun = [
      ...(o.preRun ?? []),
      (mod) => {
        const ops = (mod as { NODEFS: { stream_ops: Record<string, unknown> } }).NODEFS.stream_ops;
        ops.fsync = (stream: { nfd?: number }) => {
          if (stream.nfd !== undefined) {
            fsyncSync(stream.nfd);
            fsyncs++;
          }
          return 0;
        };
      },
    ];
    return r;
  }
}

const DURABLE_START = [
  ...PGlite.defaultStartParams.filter((p) => p !== '-F'),
  '-c',
  'fsync=on',
  '-c',
  'wal_sync_method=fsync',
];

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
      // In memory (tests) nothing is durable anyway.
      ...(dataDir ? { fs: new DurableNodeFS(dataDir), startParams: DURABLE_START } : {}),
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
