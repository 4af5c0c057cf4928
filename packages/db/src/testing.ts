/**
 * @myna-ap/db/testing — for the tests (and benches) of any package. A throwaway
 * PostgreSQL cluster (initdb + pg_ctl in a temp dir, on
 * a random port). As root it runs the server as the `postgres` user (PostgreSQL
 * refuses to run as root). No binaries: in CI that is a loud failure, elsewhere
 * the PostgreSQL half of a test is skipped with one line saying why.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { migrate, type MigrationSet } from './migrate.ts';

export interface PgCluster {
  readonly url: string;
  stop(): Promise<void>;
}

function findBin(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const onPath = which.stdout.trim();
  if (which.status === 0 && onPath) return onPath.replace(/\/initdb$/, '');
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions)
    if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (process.env.MYNA_TEST_DATABASE_URL) return undefined;
  if (!findBin()) return 'PostgreSQL server binaries (initdb, pg_ctl) not found';
  if (process.getuid?.() === 0) {
    const r = spawnSync('id', ['-u', 'postgres']);
    if (r.status !== 0) return 'running as root and there is no postgres user to run the server';
  }
  return undefined;
}

/** `skip` option for node:test: a reason outside CI, a thrown error inside CI. */
export function skipUnlessPostgres(): string | false {
  const why = postgresUnavailable();
  if (!why) return false;
  if (process.env.CI) throw new Error(`CI requires PostgreSQL for the database tests: ${why}`);
  return `PostgreSQL: ${why}`;
}

/**
 * `durable`: the server's own defaults (fsync and synchronous_commit on: a commit
 * waits for the WAL flush), as in production — for the benchmarks; the tests run
 * with fsync off, which only speeds them up.
 */
export async function startPostgres(o: { durable?: boolean } = {}): Promise<PgCluster> {
  const given = process.env.MYNA_TEST_DATABASE_URL;
  if (given) return { url: given, stop: async () => {} };
  const bin = findBin();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'myna-pg-'));
  const data = join(dir, 'data');
  if (root) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    const r = root
      ? spawnSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8' })
      : spawnSync(full, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${o.durable ? '' : ' -c fsync=off'} -c max_connections=60`,
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const templates = new Map<string, Promise<Blob>>();

/**
 * A fresh in-memory PGlite database with `migrations` applied. The first call for
 * a list of sets in a test process runs initdb and the migrations; later ones start
 * from a dump of that (about 4× faster), each still a database of its own.
 */
export async function freshPglite(migrations: readonly MigrationSet[]): Promise<Db> {
  const key = JSON.stringify(migrations.map((m) => [m.owner, m.dir]));
  let template = templates.get(key);
  if (!template) {
    template = (async () => {
      const t = await openPglite();
      try {
        await migrate(t, migrations);
        return await t.dump();
      } finally {
        await t.close();
      }
    })();
    templates.set(key, template);
  }
  return openPglite(undefined, { template: await template });
}
