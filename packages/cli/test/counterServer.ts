/**
 * A loader server on a random port with 千代田区 (a municipality), its counter
 * terminal and a loading operator bound to it, logged in under a temporary
 * MYNA_HOME: what `myna card pin-reset` records its steps in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyStore, TEST_CONFIG, startServer, type RunningServer } from '@myna-ap/loader';
import { world, type World } from '@myna-ap/loader/testing';
import { myna } from './cliRun.ts';

export interface Counter {
  readonly server: RunningServer;
  readonly w: World;
  /** MYNA_HOME, MYNA_SERVER and MYNA_LANG of the logged-in loading operator. */
  readonly env: Record<string, string | undefined>;
  close(): Promise<void>;
}

export async function counterServer(): Promise<Counter> {
  const home = await mkdtemp(join(tmpdir(), 'myna-counter-'));
  const keys = new MemoryKeyStore('test');
  const server = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin pw',
    keys,
  });
  const w = await world({ db: server.db, keys });
  const env = { MYNA_HOME: home, MYNA_SERVER: server.url, MYNA_LANG: 'en', MYNA_TOKEN: undefined };
  const li = await myna(['login', '--user', 'chiyoda-op'], {
    ...env,
    MYNA_PASSWORD: 'operator password 1',
  });
  if (li.code !== 0) throw new Error(`login failed: ${li.err}`);
  return {
    server,
    w,
    env,
    async close() {
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The card.pin_reset audit rows: outcome, which, and the whole detail. */
export async function pinResetAudit(c: Counter) {
  return (
    await c.server.db.query<{ actor: string; target: string; detail: Record<string, unknown> }>(
      "SELECT actor, target, detail FROM audit_log WHERE action = 'card.pin_reset' ORDER BY seq",
    )
  ).rows;
}
