/** Starts a loader server: database (PGlite or PostgreSQL), migrations, first admin, HTTP. */
import { join } from 'node:path';
import { mynaHome } from './credentials.ts';
import { openDb } from './db/open.ts';
import type { Db } from './db/db.ts';
import { buildServer } from './http/server.ts';
import { bootstrapPlatformAdmin } from './store/operators.ts';
import { DEFAULT_CONFIG } from './store/config.ts';
import type { Ctx, LoaderConfig } from './store/context.ts';

export interface ServeOptions {
  readonly port?: number;
  readonly host?: string;
  /** PGlite data dir (default `$MYNA_HOME/db`, MYNA_HOME defaulting to ./.myna). */
  readonly dataDir?: string;
  /** postgres://… (wins over dataDir). */
  readonly databaseUrl?: string | undefined;
  /** Password of the first platform operator `admin` (random when absent). */
  readonly adminPassword?: string | undefined;
  readonly config?: LoaderConfig;
  readonly logger?: boolean | Record<string, unknown>;
}

export interface RunningServer {
  readonly url: string;
  readonly db: Db;
  /** Set when this start created the first platform operator. */
  readonly bootstrap: { login: string; password: string } | undefined;
  close(): Promise<void>;
}

export async function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const db = await openDb({
    databaseUrl: o.databaseUrl,
    dataDir: o.databaseUrl ? undefined : (o.dataDir ?? join(mynaHome(), 'db')),
  });
  const ctx: Ctx = { db, config: o.config ?? DEFAULT_CONFIG, now: () => new Date() };
  try {
    const bootstrap = await bootstrapPlatformAdmin(ctx, o.adminPassword);
    const app = buildServer(ctx, {
      logger: o.logger ?? false,
    });
    const address = await app.listen({ port: o.port ?? 8380, host: o.host ?? '127.0.0.1' });
    return {
      url: address,
      db,
      bootstrap,
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
