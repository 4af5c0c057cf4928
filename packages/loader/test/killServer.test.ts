/**
 * Issue 5, Consistency: the server killed (kill -9) during concurrent loads. A real
 * server runs as a child process (serverChild.ts); N terminals in this process
 * relay loads of fresh emulated cards through it over HTTP (relayJob); the server
 * is killed mid-way, restarted on the same database — the PGlite data dir, and
 * PostgreSQL — and every card is met again through the restarted server (a load
 * job, or a diagnose job). Then card and DB agree for every card (agreement.ts),
 * and the database rules hold. MYNA_SOAK=1: more cards, several kills.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import { openDb } from '@myna-ap/db';
import type { Db } from '@myna-ap/db';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import { ApiClient, relayJob, type CardTransmit } from '../src/clientEntry.ts';
import type { DiagnoseReport } from '../src/cardops/diagnose.ts';
import type { LoadOutcome } from '../src/cardops/load.ts';
import { T, newCard, world } from './cardWorld.ts';
import { PW } from './helpers.ts';
import { skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { assertAgreement, assertDbInvariants } from './agreement.ts';
import { loaderMigrations } from '../src/migrations.ts';

const SOAK = process.env.MYNA_SOAK === '1';
/** Terminals working at once, loads finished before each kill, kills. */
const TERMINALS = 8;
const LOADS_BEFORE_KILL = SOAK ? 40 : 4;
const KILLS = SOAK ? 3 : 1;

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..', '..');
const CHILD = join(HERE, 'serverChild.ts');

interface Server {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<string>;
  stderr(): string;
}

/** Starts serverChild.ts; resolves once it prints its URL, rejects (with its stderr) if it dies first. */
async function startChild(env: Record<string, string>): Promise<Server> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<string>((res) =>
    proc.once('exit', (code, signal) => res(signal ?? `exit ${code}`)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
    });
    void exited.then((how) =>
      reject(new Error(`the server ended (${how}) before listening:\n${err}`)),
    );
  });
  return { url, proc, exited, stderr: () => err };
}

const tx =
  (card: Card): CardTransmit =>
  async (b) =>
    card.transmit(b);

async function login(url: string): Promise<ApiClient> {
  const r = await new ApiClient(url).call('login', { body: { login: 'chiyoda-op', password: PW } });
  return new ApiClient(url, r.token);
}

/** Runs `f` over `items`, `n` at a time. */
async function pool<T>(items: readonly T[], n: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

interface Backend {
  /** Environment of the server child. */
  readonly env: Record<string, string>;
  /** The database, open in this process (PGlite: only while no server holds the data dir). */
  open(): Promise<Db>;
  /** PGlite: this process must let go of the data dir before a server starts. */
  readonly exclusive: boolean;
}

async function killDuringLoads(backend: Backend): Promise<void> {
  const root = new Uint8Array(randomBytes(32));
  const keys = new MemoryKeyStore('test', root);
  const env = { ...backend.env, MYNA_TEST_CARD_AP_ROOT: toHex(root) };
  // The world (provider, terminal, operators, approved card APs), written straight to the DB.
  let db = await backend.open();
  const w = await world({ db, keys });
  if (backend.exclusive) await db.close();
  const body = {
    op: 'load' as const,
    terminalId: T,
    cardAps: [{ cardApId: w.aps.C }, { cardApId: w.aps.A, pin: '4321' }, { cardApId: w.aps.D }],
    consent: { method: 'counter_form' as const },
  };

  const cards: Card[] = [];
  let interrupted = 0;
  let server = await startChild(env);
  for (let round = 1; round <= KILLS; round++) {
    const client = await login(server.url);
    const state = { stop: false, done: 0, steps: 0 };
    const victim = server;
    /**
     * The kill: once enough loads are done, at the next INSTALL (CLA 84, INS E6)
     * one of the terminals meets — so at least one load is surely cut between its
     * reserve and its settle: before the card sees the INSTALL (odd rounds) or
     * after the card did it, its answer lost (even rounds).
     */
    const killing =
      (card: Card): CardTransmit =>
      async (b) => {
        if (!state.stop && state.done >= LOADS_BEFORE_KILL && b[0] === 0x84 && b[1] === 0xe6) {
          state.stop = true;
          const res = round % 2 === 0 ? card.transmit(b) : undefined;
          victim.proc.kill('SIGKILL');
          if (res) return res;
          throw new Error('the server was killed before the card got the INSTALL');
        }
        return card.transmit(b);
      };
    const terminal = async (_: unknown, i: number) => {
      // Staggered starts, so that the terminals are at different steps when the kill comes.
      while (state.steps < i * 3) await new Promise((r) => setTimeout(r, 1));
      while (!state.stop) {
        const card = await newCard();
        cards.push(card);
        try {
          const j = await relayJob(client, killing(card), body, { onStep: () => state.steps++ });
          if (j.state === 'done') state.done++;
          else interrupted++;
        } catch {
          interrupted++; // the server went away under this load
        }
      }
    };
    const terminals = Array.from({ length: TERMINALS }, terminal);
    assert.equal(await victim.exited, 'SIGKILL');
    await Promise.all(terminals);
    // The same database opens again after a kill -9 (PGlite: its data dir, its lock).
    server = await startChild(env);
  }

  // Every card met again through the restarted server: most with a load of the same
  // card APs (which finishes it), every fourth with a diagnose (which only settles).
  const client = await login(server.url);
  let recovered = 0;
  await pool(
    cards.map((card, i) => ({ card, i })),
    TERMINALS,
    async ({ card, i }) => {
      if (i % 4 === 0) {
        const j = await relayJob(client, tx(card), { op: 'diagnose', terminalId: T });
        assert.equal(j.state, 'done', JSON.stringify(j.error));
        const r = j.result as DiagnoseReport;
        recovered += r.recovered.length;
        assert.deepEqual(r.missing, [], 'nothing recorded is missing from the card');
        assert.ok(!r.findings.some((f) => f.code === 'CARD_AP_UNRECORDED'), 'nothing unrecorded');
        return;
      }
      const j = await relayJob(client, tx(card), body);
      assert.equal(j.state, 'done', JSON.stringify(j.error));
      const out = j.result as LoadOutcome;
      recovered += out.recovered.length;
      for (const r of out.results)
        assert.ok(r.status === 'loaded' || r.error?.code === 'ALREADY_LOADED', JSON.stringify(r));
    },
  );
  server.proc.kill('SIGTERM');
  assert.equal(await server.exited, 'exit 0', server.stderr());

  if (backend.exclusive) db = await backend.open();
  try {
    let loaded = 0;
    for (const [i, card] of cards.entries()) {
      const a = await assertAgreement(db, keys, card, `card ${i}`, { readBack: true });
      loaded += a.loaded;
      if (i % 4 !== 0) assert.equal(a.loaded, 3, `card ${i}: the load finished`);
    }
    await assertDbInvariants(db, 'after the kills');
    assert.ok(recovered >= KILLS, 'each kill cut a load between its reserve and its settle');
    console.log(
      `# ${cards.length} cards, ${interrupted} loads cut by ${KILLS} kill(s), ${recovered} instances settled on the next contact, ${loaded} card APs loaded`,
    );
  } finally {
    await db.close();
  }
}

// The two databases side by side: most of the time is spent waiting on the child servers.
describe('kill -9', { concurrency: 2 }, () => {
  test('kill -9 during concurrent loads, restart on the same PGlite data dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'myna-kill-'));
    const dataDir = join(dir, 'db');
    try {
      await killDuringLoads({
        env: { MYNA_TEST_DATA_DIR: dataDir, MYNA_HOME: dir, DATABASE_URL: '' },
        open: () => openDb({ dataDir, migrations: [loaderMigrations] }),
        exclusive: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(
    'kill -9 during concurrent loads, restart on PostgreSQL',
    { skip: skipUnlessPostgres() },
    async () => {
      const pg = await startPostgres();
      const dir = mkdtempSync(join(tmpdir(), 'myna-kill-'));
      // One database per run, so that a given MYNA_TEST_DATABASE_URL is left as it was.
      const name = `kill_${randomBytes(4).toString('hex')}`;
      const admin = await openDb({ databaseUrl: pg.url });
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.close();
      const url = pg.url.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
      try {
        await killDuringLoads({
          env: { DATABASE_URL: url, MYNA_HOME: dir },
          open: () => openDb({ databaseUrl: url, migrations: [loaderMigrations] }),
          exclusive: false,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await pg.stop();
      }
    },
  );
});
