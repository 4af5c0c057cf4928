/**
 * Loading card APs (カードAP搭載), end to end with in-process emulated cards: loads
 * per second on PGlite (in memory and on a data dir) and on PostgreSQL (a durable
 * cluster this bench starts and stops), with 1 and 32 concurrent terminals, on
 * the direct path (`loadOnCard` in this process) and the real path (a listening
 * server, terminals relaying APDUs over HTTP from a second process). Then the
 * APDUs and bytes of a load of each card AP type against the minimum the card
 * protocol allows. No open-source loading system exists to run side by side:
 * the protocol minimum is the comparison. Writes bench/RESULTS.md (`load`).
 *
 * MYNA_LOAD_SCALE=0.2 for a quick run (fewer loads per configuration).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Card } from '@myna-ap/card';
import { openDb } from '@myna-ap/db';
import { pgliteFsyncCount } from '@myna-ap/db';
import type { Db } from '@myna-ap/db';
import { freshPglite } from '@myna-ap/db/testing';
import { newCard, world, type World } from '@myna-ap/loader/testing';
import {
  addTerminals,
  apduName,
  countingDb,
  isMinimum,
  pgUnavailable,
  startDurablePostgres,
  type BenchTerminal,
  type DbCounts,
} from './loadWorld.ts';
import type { DoneMessage, RunMessage } from './loadClient.ts';
import { machine, ms, ratio, summarize, writeResults } from './stats.ts';
import {
  authenticate,
  buildServer,
  loaderMigrations,
  loadOnCard,
  type LoadItem,
} from '@myna-ap/loader';

const SCALE = Number(process.env.MYNA_LOAD_SCALE ?? 1);
/** Loads measured with one terminal, and per terminal with 32. */
const N_ONE = Math.max(10, Math.round(80 * SCALE));
const N_PER32 = Math.max(2, Math.round(4 * SCALE));
/** Each configuration runs REPS times, interleaved with the others (the machine is shared). */
const REPS = Math.max(1, Number(process.env.MYNA_LOAD_REPS ?? 3));
const WARMUP = 2; // loads per terminal before the clock starts
/** What each transaction sends besides its statements (packages/db). */
const TX_OVERHEAD =
  'BEGIN, SET TRANSACTION + LOCK (one call), COMMIT on PGlite (3 calls); BEGIN + LOCK (one simple query), COMMIT on PostgreSQL (2 round trips)';
const CONSENT = { method: 'counter_form' as const };

interface Measured {
  readonly db: string;
  readonly path: 'direct' | 'HTTP';
  readonly terminals: number;
  readonly n: number;
  readonly wallMs: number;
  readonly latencies: number[];
  readonly apdus: number;
  readonly roundTrips: number | undefined;
  /** CPU time of this process (server + PGlite; not PostgreSQL's backends) per load. */
  readonly cpuMsPerLoad: number;
  /** Both cores' busy share over the run (everything: server, DB, clients). */
  readonly machineBusy: number;
  /** fsync calls of PGlite in this process per load (PostgreSQL's are its own). */
  readonly fsyncsPerLoad: number;
  readonly failures: string[];
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function cpuTicks(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const v = f.map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3]! - (v[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

async function meter<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; cpuMs: number; busy: number; wallMs: number; fsyncs: number }> {
  const c0 = process.cpuUsage();
  const t0 = cpuTicks();
  const f0 = pgliteFsyncCount();
  const s = performance.now();
  const value = await fn();
  const wallMs = performance.now() - s;
  const c = process.cpuUsage(c0);
  const t1 = cpuTicks();
  return {
    value,
    cpuMs: (c.user + c.system) / 1000,
    busy: t1.total > t0.total ? (t1.busy - t0.busy) / (t1.total - t0.total) : NaN,
    wallMs,
    fsyncs: pgliteFsyncCount() - f0,
  };
}

async function makeCards(n: number): Promise<Card[]> {
  const cards: Card[] = [];
  for (let i = 0; i < n; i++) cards.push(await newCard());
  return cards;
}

/** `loadOnCard` in this process: `n` terminals, `per` fresh cards each. */
async function direct(
  w: World,
  dbLabel: string,
  terms: readonly BenchTerminal[],
  per: number,
): Promise<Measured> {
  const cards = await makeCards(terms.length * (per + WARMUP));
  const latencies: number[] = [];
  const failures: string[] = [];
  let apdus = 0;
  const one = async (t: BenchTerminal, timed: boolean) => {
    const card = cards.pop()!;
    let count = 0;
    const s = performance.now();
    const out = await loadOnCard(
      w.ctx,
      t.session,
      (b) => {
        count++;
        return card.transmit(b);
      },
      { terminalId: t.id, items: [{ cardApId: w.aps.C }], consent: CONSENT },
    );
    if (!timed) return;
    latencies.push(performance.now() - s);
    apdus += count;
    const r = out.results[0];
    if (r?.status !== 'loaded') failures.push(r?.error?.code ?? 'not loaded');
  };
  await Promise.all(
    terms.map(async (t) => {
      for (let i = 0; i < WARMUP; i++) await one(t, false);
    }),
  );
  const m = await meter(() =>
    Promise.all(
      terms.map(async (t) => {
        for (let i = 0; i < per; i++) await one(t, true);
      }),
    ),
  );
  const n = latencies.length;
  return {
    db: dbLabel,
    path: 'direct',
    terminals: terms.length,
    n,
    wallMs: m.wallMs,
    latencies,
    apdus: apdus / n,
    roundTrips: undefined,
    cpuMsPerLoad: m.cpuMs / n,
    machineBusy: m.busy,
    fsyncsPerLoad: m.fsyncs / n,
    failures,
  };
}

/** Through the HTTP API: the terminals run in `client` (another process). */
async function overHttp(
  w: World,
  dbLabel: string,
  url: string,
  client: ChildProcess,
  terms: readonly BenchTerminal[],
  per: number,
): Promise<Measured> {
  const msg: RunMessage = {
    type: 'run',
    url,
    terminals: terms.map((t) => ({ id: t.id, token: t.token })),
    cardApId: w.aps.C,
    perTerminal: per,
    warmup: WARMUP,
  };
  // The child makes its cards and warms up first; the meter runs from its 'start'
  // (the timed loads) to its 'done'.
  const m = await new Promise<{ value: DoneMessage; cpuMs: number; busy: number; fsyncs: number }>(
    (resolve, reject) => {
      let c0: NodeJS.CpuUsage | undefined;
      let t0 = cpuTicks();
      let f0 = pgliteFsyncCount();
      const onMsg = (d: { type: string }) => {
        if (d.type === 'start') {
          c0 = process.cpuUsage();
          t0 = cpuTicks();
          f0 = pgliteFsyncCount();
          return;
        }
        if (d.type !== 'done') return;
        const c = process.cpuUsage(c0);
        const t1 = cpuTicks();
        client.off('message', onMsg);
        client.off('exit', onExit);
        resolve({
          value: d as DoneMessage,
          cpuMs: (c.user + c.system) / 1000,
          busy: t1.total > t0.total ? (t1.busy - t0.busy) / (t1.total - t0.total) : NaN,
          fsyncs: pgliteFsyncCount() - f0,
        });
      };
      const onExit = (code: number | null) => reject(new Error(`client exited (${code})`));
      client.on('message', onMsg);
      client.once('exit', onExit);
      client.send(msg);
    },
  );
  const d = m.value;
  const n = d.latencies.length;
  return {
    db: dbLabel,
    path: 'HTTP',
    terminals: terms.length,
    n,
    wallMs: d.wallMs,
    latencies: d.latencies,
    apdus: d.apdus.reduce((a, b) => a + b, 0) / n,
    roundTrips: d.roundTrips.reduce((a, b) => a + b, 0) / n,
    cpuMsPerLoad: m.cpuMs / n,
    machineBusy: m.busy,
    fsyncsPerLoad: m.fsyncs / n,
    failures: d.failures,
  };
}

interface Backend {
  readonly label: string;
  open(): Promise<{ db: Db; done: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    label: 'PGlite, in memory',
    open: async () => {
      const db = await freshPglite([loaderMigrations]);
      return { db, done: () => db.close() };
    },
  },
  {
    label: 'PGlite, data dir',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'myna-load-bench-'));
      const db = await openDb({ dataDir: join(dir, 'db'), migrations: [loaderMigrations] });
      return {
        db,
        done: async () => {
          await db.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
const pgWhy = pgUnavailable();
if (!pgWhy) {
  backends.push({
    label: 'PostgreSQL 15, durable (pool of 10)',
    open: async () => {
      const pg = await startDurablePostgres();
      try {
        const db = await openDb({ databaseUrl: pg.url, migrations: [loaderMigrations] });
        return {
          db,
          done: async () => {
            await db.close();
            await pg.stop();
          },
        };
      } catch (e) {
        await pg.stop();
        throw e;
      }
    },
  });
} else {
  console.log(`skipping PostgreSQL: ${pgWhy}`);
}

const client = fork(new URL('./loadClient.ts', import.meta.url), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const runs: Measured[] = [];
const say = (r: Measured) => {
  const s = summarize(r.latencies);
  console.log(
    `${r.db} | ${r.path} | ${r.terminals} terminals: ${((r.n / r.wallMs) * 1000).toFixed(1)} loads/s, ` +
      `p50 ${ms(s.median)}, p99 ${ms(s.p99)}, ${r.apdus.toFixed(1)} APDUs` +
      (r.roundTrips !== undefined ? `, ${r.roundTrips.toFixed(1)} round trips` : '') +
      `, ${ms(r.cpuMsPerLoad)} CPU/load here, machine ${(r.machineBusy * 100).toFixed(0)}% busy` +
      (r.failures.length ? `, FAILURES ${r.failures.length}: ${r.failures[0]}` : ''),
  );
  runs.push(r);
};

/** Mean time of `authenticate` (what every HTTP request does first), in process. */
const authMs = new Map<string, number>();
async function timeAuthenticate(w: World, token: string): Promise<number> {
  for (let i = 0; i < 50; i++) await authenticate(w.ctx, token);
  const s = performance.now();
  for (let i = 0; i < 300; i++) await authenticate(w.ctx, token);
  return (performance.now() - s) / 300;
}
const loadAtStart = loadavg()[0]!;

/** One load of each card AP type, with every APDU named and counted. */
interface Trace {
  readonly type: string;
  readonly apdus: { name: string; to: number; from: number }[];
  readonly db: DbCounts;
}
let traces: Trace[] = [];

// All databases open at once, and the runs interleaved across them, so a noisy
// spell of the shared machine does not land on one database only.
interface Open {
  readonly b: Backend;
  readonly w: World;
  readonly terms: BenchTerminal[];
  readonly url: string;
  close(): Promise<void>;
}
const opened: Open[] = [];
try {
  for (const b of backends) {
    const { db, done } = await b.open();
    try {
      const w = await world({ db });
      const terms = await addTerminals(w, 32);
      authMs.set(b.label, await timeAuthenticate(w, terms[0]!.token));
      if (traces.length === 0) traces = await traceTypes(w);
      const app = buildServer(w.ctx);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      opened.push({
        b,
        w,
        terms,
        url,
        close: async () => {
          try {
            await app.close();
          } finally {
            await done();
          }
        },
      });
    } catch (e) {
      await done();
      throw e;
    }
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const o of opened) {
      say(await direct(o.w, o.b.label, o.terms.slice(0, 1), N_ONE));
      say(await direct(o.w, o.b.label, o.terms, N_PER32));
      say(await overHttp(o.w, o.b.label, o.url, client, o.terms.slice(0, 1), N_ONE));
      say(await overHttp(o.w, o.b.label, o.url, client, o.terms, N_PER32));
    }
  }
} finally {
  client.disconnect();
  for (const o of opened) await o.close();
}

async function traceTypes(w: World): Promise<Trace[]> {
  const PIN = new TextEncoder().encode('4321');
  const items: [string, LoadItem][] = [
    ['C (33 bytes, extended)', { cardApId: w.aps.C }],
    ['A (128 bytes, extended, holder PIN)', { cardApId: w.aps.A, pin: PIN }],
    ['D (255 bytes, local, fixed PIN)', { cardApId: w.aps.D }],
    ['custom (600 bytes, extended)', { cardApId: w.aps.custom, area: 'extended', pin: PIN }],
  ];
  const out: Trace[] = [];
  for (const [type, item] of items) {
    const card = await newCard();
    const apdus: Trace['apdus'] = [];
    const counted = countingDb(w.ctx.db);
    const r = await loadOnCard(
      { ...w.ctx, db: counted.db },
      w.op,
      (b) => {
        const res = card.transmit(b);
        apdus.push({ name: apduName(b), to: b.length, from: res.length });
        return res;
      },
      { terminalId: w.op.terminals[0]!, items: [item], consent: CONSENT },
    );
    if (r.results[0]?.status !== 'loaded') throw new Error(`${type}: ${r.results[0]?.error?.code}`);
    out.push({ type, apdus, db: counted.counts });
  }
  return out;
}

// ---- RESULTS.md ----
const lines: string[] = [];
const l = (s = '') => lines.push(s);
const rateOf = (r: Measured) => (r.n / r.wallMs) * 1000;
const median = (x: number[]) => summarize(x).median;

/** The REPS runs of one configuration: best loads/s (noise only slows), latencies pooled. */
interface Agg {
  readonly db: string;
  readonly path: string;
  readonly terminals: number;
  readonly n: number;
  readonly rate: number;
  readonly rates: number[];
  readonly latencies: number[];
  readonly apdus: number;
  readonly roundTrips: number | undefined;
  readonly cpuMsPerLoad: number;
  readonly busy: number;
  readonly fsyncs: number;
  readonly failures: string[];
}
const aggs: Agg[] = [];
for (const r of runs) {
  if (aggs.some((a) => a.db === r.db && a.path === r.path && a.terminals === r.terminals)) continue;
  const rs = runs.filter((x) => x.db === r.db && x.path === r.path && x.terminals === r.terminals);
  const rates = rs.map(rateOf);
  aggs.push({
    db: r.db,
    path: r.path,
    terminals: r.terminals,
    n: rs.reduce((a, x) => a + x.n, 0),
    rate: Math.max(...rates),
    rates,
    latencies: rs.flatMap((x) => x.latencies),
    apdus: rs.reduce((a, x) => a + x.apdus * x.n, 0) / rs.reduce((a, x) => a + x.n, 0),
    roundTrips:
      r.roundTrips === undefined
        ? undefined
        : rs.reduce((a, x) => a + x.roundTrips! * x.n, 0) / rs.reduce((a, x) => a + x.n, 0),
    cpuMsPerLoad: median(rs.map((x) => x.cpuMsPerLoad)),
    busy: median(rs.map((x) => x.machineBusy)),
    fsyncs: median(rs.map((x) => x.fsyncsPerLoad)),
    failures: rs.flatMap((x) => x.failures),
  });
}
const rate = (a: Agg) => a.rate;
const find = (db: string, path: string, t: number) =>
  aggs.find((r) => r.db === db && r.path === path && r.terminals === t);

l('## Loading card APs: loads per second, APDUs per load (bench/load.bench.ts)');
l();
l(
  `Machine: ${machine()}. Command: \`npm run bench -- load\`` +
    (SCALE !== 1 ? ` (MYNA_LOAD_SCALE=${SCALE})` : '') +
    `. Date: ${new Date().toISOString().slice(0, 10)}. Load average at the start ${loadAtStart.toFixed(1)}, ` +
    `at the end ${loadavg()[0]!.toFixed(1)} (2 cores shared with other work: the figures are noisy).`,
);
l();
l(
  `Each load: one fresh emulated card (made before the clock starts), one type C card AP (33 bytes) ` +
    `into 拡張利用領域, consent recorded, terminal ${'`bench-i`'} with its own loading operator. ` +
    `A terminal loads card after card; ${N_ONE} loads with 1 terminal, ${N_PER32} per terminal with 32 ` +
    `(${WARMUP} per terminal before the clock), each configuration ${REPS} times, interleaved: ` +
    'loads/s is the best run (the range in brackets), p50 and p99 over the loads of all runs, CPU/load ' +
    'and busy the median run. Direct: `loadOnCard` in the bench process. HTTP: a ' +
    'listening server (Fastify, loopback) in the bench process; the terminals (`relayJob`, one ' +
    '`ApiClient` each) and their cards in a second process. "CPU/load" is this process\'s CPU ' +
    '(server + PGlite; PostgreSQL runs in its own processes), "busy" both cores over the run.',
);
l();
l(
  '| database | path | terminals | loads | loads/s (range) | p50 | p99 | APDUs/load | HTTP round trips/load | CPU/load | fsyncs/load | busy |',
);
l('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of aggs) {
  const s = summarize(r.latencies);
  const lo = Math.min(...r.rates);
  l(
    `| ${r.db} | ${r.path} | ${r.terminals} | ${r.n} | ${r.rate.toFixed(1)} (${lo.toFixed(1)}–${r.rate.toFixed(1)}) | ` +
      `${ms(s.median)} | ${ms(s.p99)} | ` +
      `${r.apdus.toFixed(0)} | ${r.roundTrips?.toFixed(0) ?? '—'} | ${ms(r.cpuMsPerLoad)} | ` +
      `${r.db.startsWith('PostgreSQL') ? '—' : r.fsyncs.toFixed(1)} | ` +
      `${Number.isFinite(r.busy) ? `${(r.busy * 100).toFixed(0)}%` : '—'} |`,
  );
}
l();
const bad = aggs.filter((r) => r.failures.length > 0);
if (bad.length > 0)
  l(
    `- **Failed loads**: ${bad.map((r) => `${r.db} ${r.path} ${r.terminals}: ${r.failures.length} (${r.failures[0]})`).join('; ')}.`,
  );
for (const b of backends) {
  for (const p of ['direct', 'HTTP']) {
    const one = find(b.label, p, 1);
    const many = find(b.label, p, 32);
    if (one && many)
      l(
        `- ${b.label}, ${p}: 32 terminals give ${ratio(rate(many), rate(one))} the loads/s of 1 ` +
          `(p50 latency ${ratio(summarize(many.latencies).median, summarize(one.latencies).median)}).`,
      );
  }
}
const pgLabel = backends[2]?.label;
if (pgLabel) {
  for (const base of [backends[0]!.label, backends[1]!.label]) {
    for (const [p, t] of [
      ['direct', 1],
      ['direct', 32],
      ['HTTP', 1],
      ['HTTP', 32],
    ] as const) {
      const a = find(pgLabel, p, t);
      const b = find(base, p, t);
      if (a && b)
        l(
          `- PostgreSQL vs ${base}, ${p}, ${t} terminal${t > 1 ? 's' : ''}: ${ratio(rate(a), rate(b))} the loads/s.`,
        );
    }
  }
}
for (const b of backends) {
  const d = find(b.label, 'direct', 1);
  const h = find(b.label, 'HTTP', 1);
  if (d && h)
    l(
      `- HTTP relay vs direct, ${b.label}, 1 terminal: p50 ${ms(summarize(h.latencies).median)} vs ${ms(summarize(d.latencies).median)} ` +
        `(+${ms((summarize(h.latencies).median - summarize(d.latencies).median) / (h.roundTrips ?? 1))} per round trip); ` +
        `CPU of the server process ${ms(h.cpuMsPerLoad)} vs ${ms(d.cpuMsPerLoad)} per load ` +
        `(+${ms((h.cpuMsPerLoad - d.cpuMsPerLoad) / (h.roundTrips ?? 1))} per request; direct includes the card emulator).`,
    );
}
if (authMs.size > 0)
  l(
    `- Every HTTP request first authenticates its bearer token (\`authenticate\`, one query): ` +
      [...authMs].map(([k, v]) => `${ms(v)} on ${k}`).join(', ') +
      ' (mean of 300 in process): one per round trip.',
  );
l(
  '- Durability: PGlite on a data dir fsyncs its WAL at each commit (fsyncs/load counted in ' +
    'process, `pgliteFsyncCount`); the PostgreSQL cluster runs with fsync and synchronous_commit ' +
    "on (its fsyncs are its own processes'); PGlite in memory keeps nothing.",
);
l();
l(
  'APDUs and bytes of one load of each card AP type (fresh card, in process; bytes are whole command / response APDUs):',
);
l();
l(
  '| card AP | APDUs | minimum | bytes to card | minimum | bytes from card | minimum | DB statements (write transactions) |',
);
l('|---|---|---|---|---|---|---|---|');
const sum = (a: Trace['apdus'], k: 'to' | 'from') => a.reduce((s, x) => s + x[k], 0);
for (const t of traces) {
  const min = t.apdus.filter((a) => isMinimum(a.name));
  l(
    `| ${t.type} | ${t.apdus.length} | ${min.length} | ${sum(t.apdus, 'to')} | ${sum(min, 'to')} | ` +
      `${sum(t.apdus, 'from')} | ${sum(min, 'from')} | ${t.db.statements} (${t.db.transactions}) |`,
  );
}
l();
l(
  `- DB statements are those sent through the \`Db\` interface; each write transaction adds ` +
    `${TX_OVERHEAD} (the audit chain's \`LOCK TABLE audit_head\` included).`,
);
for (const t of traces) {
  const min = t.apdus.filter((a) => isMinimum(a.name)).length;
  l(`- ${t.type}: ${t.apdus.length} APDUs vs ${min} minimum = ${ratio(t.apdus.length, min)}.`);
}
l();
l(
  'What each APDU is (✓ = the protocol minimum: card README §8 plus reading the serial that names the card):',
);
l();
l(
  `| APDU | ${traces.map((t) => t.type.split(' ')[0]).join(' | ')} | minimum | why, and could it go |`,
);
l(`|---|${traces.map(() => '---|').join('')}---|---|`);
const WHY: Record<string, string> = {
  'SELECT 共通カードAP':
    'needed: the serial is read from this AP (nothing else names the card; the area keys are diversified from it)',
  'READ BINARY serial (SFI 1)':
    'needed: the card ID in the DB, and the card AP keys are diversified from the serial',
  'READ BINARY municipality (SFI 2)':
    'only for `local`, and only when the request carries no `holderMunicipality` from the resident system (which wins anyway): area eligibility',
  'SELECT JPKI AP':
    'for the PIN-lock rule (issue 5: "PIN not locked"): the empty VERIFY needs the JPKI AP selected',
  'VERIFY empty (PIN tries, P2 98)':
    'the JPKI auth PIN lock check (spends no try). Could go only if the rule went (the card APs do not need the JPKI PIN); it is one of the checks the issue lists, so it stays',
  'SELECT SD (local)': 'needed: opens the area (§3.1)',
  'SELECT SD (extended)': 'needed: opens the area (§3.1)',
  'INITIALIZE UPDATE': 'needed: SCP03 opening',
  'EXTERNAL AUTHENTICATE': 'needed: SCP03 opening',
  INSTALL: 'needed: the commit point when the parameters fit one APDU',
  'STORE DATA': 'needed: parameters over 239 plain bytes (§4.1)',
};
// In the order a load sends them (a local card AP reads the municipality too).
const ORDER = [
  'SELECT 共通カードAP',
  'READ BINARY serial (SFI 1)',
  'READ BINARY municipality (SFI 2)',
  'SELECT JPKI AP',
  'VERIFY empty (PIN tries, P2 98)',
  'SELECT SD (local)',
  'SELECT SD (extended)',
];
const names = [...new Set(traces.flatMap((t) => t.apdus.map((a) => a.name)))].sort(
  (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99),
);
for (const n of names) {
  l(
    `| ${n} | ${traces.map((t) => t.apdus.filter((a) => a.name === n).length || '—').join(' | ')} | ` +
      `${isMinimum(n) ? '✓' : ''} | ${WHY[n] ?? ''} |`,
  );
}
l();
const httpOne = aggs.find((r) => r.path === 'HTTP' && r.roundTrips !== undefined);
if (httpOne)
  l(
    `- Over HTTP each APDU is one round trip (\`POST /v1/jobs/:id/exchange\`), plus the \`POST /v1/jobs\` ` +
      `that starts the job: ${httpOne.roundTrips!.toFixed(0)} round trips for a type C load.`,
  );
const text = lines.join('\n');
console.log(`\n${text}`);
await writeResults('load', text);
