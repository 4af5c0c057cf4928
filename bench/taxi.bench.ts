/**
 * マイタク settlement for one year of a city the seeds' size: 29,891 registered
 * holders (seeds/003, 前橋市, R5.12), each at the limit of 70 rides in fiscal 2026
 * (2 a day at most) — 2,092,370 rides over 40 companies and 800 terminals, with 1 %
 * of holders given a 71st ride (a third on one of their days) as two terminals
 * offline could let through. Time and memory of `settle` (counting every
 * holder's rides again in time order, flags, totals per company) and of the two
 * CSVs; beside it the peer: the bare sort of the same rides by holder and time,
 * which any settlement must do. Then a month of the same city from the database
 * (PGlite): the SQL that feeds `settle`. Load average printed: the machine is
 * shared. Writes bench/RESULTS.md.
 *
 *   npm run bench -- taxi        (MYNA_TAXI_HOLDERS to change the city's size)
 */
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { freshPglite } from '@myna-ap/db/testing';
import {
  DEFAULT_RULES,
  detailCsv,
  parseDay,
  ridesToSettle,
  settle,
  summaryCsv,
  taxiMigrations,
  type SettleRide,
} from '@myna-ap/taxi';
import { machine, ms, ratio, summarize, writeResults } from './stats.ts';

const HOLDERS = Number(process.env.MYNA_TAXI_HOLDERS ?? 29_891);
const RIDES_EACH = 70;
const COMPANIES = 40;
const TERMINALS = 800;
const RUNS = 3;
const load = () => loadavg()[0]!.toFixed(1);
const loadAtStart = load();
const MB = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** A small seeded PRNG (mulberry32): the same city every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FROM = parseDay('2026-04-01')!;
const TO = parseDay('2027-03-31')!;
const DAY = 86_400_000;
const JST = 9 * 3600_000;

function city(holders: number, fromDay = FROM, days = TO - FROM + 1, each = RIDES_EACH) {
  const rand = prng(102016);
  const rides: SettleRide[] = [];
  const seqs = new Array<number>(TERMINALS).fill(0);
  for (let h = 0; h < holders; h++) {
    const userId = h.toString(16).toUpperCase().padStart(26, '0');
    const over = rand() < 0.01;
    // Distinct days for the holder, two rides each (one over-limit holder gets a third, and a 71st).
    const n = over ? each + 1 : each;
    const dayCount = Math.ceil(each / 2);
    const days0 = new Set<number>();
    while (days0.size < Math.min(dayCount, days)) days0.add(fromDay + Math.floor(rand() * days));
    const list = [...days0];
    for (let i = 0; i < n; i++) {
      const day = list[Math.floor(i / 2) % list.length]!;
      const t = Math.floor(rand() * TERMINALS);
      const at = day * DAY - JST + (7 + rand() * 14) * 3600_000;
      rides.push({
        terminalId: `car-${t}`,
        seq: ++seqs[t]!,
        userId,
        company: `company-${(t % COMPANIES).toString().padStart(2, '0')}`,
        atMs: Math.floor(at),
        fareYen: 700 + Math.floor(rand() * 3000),
        subsidyYen: 0,
        boardInCity: true,
        alightInCity: rand() < 0.8,
        voided: rand() < 0.001,
        registered: true,
      });
    }
  }
  for (let i = 0; i < rides.length; i++) {
    const r = rides[i]!;
    rides[i] = { ...r, subsidyYen: Math.min(1000, Math.floor(r.fareYen / 2)) };
  }
  // The city receives them terminal by terminal, not holder by holder: no order to lean on.
  for (let i = rides.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [rides[i], rides[j]] = [rides[j]!, rides[i]!];
  }
  return rides;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const s = performance.now();
  const value = fn();
  return { value, ms: performance.now() - s };
}

// The heap figures need a collection before each reading.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

console.log(`taxi settlement bench: ${HOLDERS} holders, load ${loadAtStart}`);
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const made = timed(() => city(HOLDERS));
const rides = made.value;
gc?.();
const heapRides = process.memoryUsage().heapUsed - heap0;
console.log(`  ${rides.length} rides made in ${ms(made.ms)} (${MB(heapRides)} of heap)`);

const settleMs: number[] = [];
const sortMs: number[] = [];
let last: ReturnType<typeof settle> | undefined;
let settleHeap = 0;
for (let i = 0; i < RUNS; i++) {
  last = undefined;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const s = timed(() => settle(rides, FROM, TO, DEFAULT_RULES));
  settleHeap = Math.max(settleHeap, process.memoryUsage().heapUsed - before);
  last = s.value;
  settleMs.push(s.ms);
  const peer = timed(() =>
    rides
      .slice()
      .sort((a, b) =>
        a.userId !== b.userId ? (a.userId < b.userId ? -1 : 1) : a.atMs - b.atMs || a.seq - b.seq,
      ),
  );
  sortMs.push(peer.ms);
  console.log(`  run ${i + 1}: settle ${ms(s.ms)}, bare sort ${ms(peer.ms)}`);
}
const st = last!;
const sum = timed(() => summaryCsv(st));
let detailBytes = 0;
const detail = timed(() => {
  for (const line of detailCsv(st)) detailBytes += Buffer.byteLength(line);
});
const flags = new Map<string, number>();
for (const r of st.rides) flags.set(r.flag, (flags.get(r.flag) ?? 0) + 1);
const paid = st.companies.reduce((n, c) => n + c.payableYen, 0);
const maxRss = process.resourceUsage().maxRSS * 1024;
console.log(
  `  CSV summary ${ms(sum.ms)}, detail ${ms(detail.ms)} (${MB(detailBytes)}); flags ${JSON.stringify(Object.fromEntries(flags))}`,
);

// A month of the same city from the database: the query that feeds settle().
const MONTH_FROM = parseDay('2026-06-01')!;
const MONTH_TO = parseDay('2026-06-30')!;
const monthRides = city(HOLDERS, MONTH_FROM, 30, 6);
const db = await freshPglite([taxiMigrations]);
await db.query(
  `INSERT INTO taxi_terminals (terminal_id, company, public_key)
   SELECT 'car-' || i, 'company-' || lpad((i % ${COMPANIES})::text, 2, '0'), 'bench'
     FROM generate_series(0, ${TERMINALS - 1}) i`,
);
await db.query(
  `INSERT INTO taxi_holders (user_id) SELECT lpad(upper(to_hex(i)), 26, '0') FROM generate_series(0, $1 - 1) i`,
  [HOLDERS],
);
const ins0 = performance.now();
for (let i = 0; i < monthRides.length; i += 5000) {
  const part = monthRides.slice(i, i + 5000);
  await db.query(
    `INSERT INTO taxi_records (terminal_id, seq, kind, at_terminal, at, skew_ms, user_id, company,
       fare_yen, subsidy_yen, board_in_city, alight_in_city, body, sig)
     SELECT t, s, 'ride', to_timestamp(a / 1000.0), to_timestamp(a / 1000.0), 0, u, c, f, y, true, al, '', ''
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bool[])
         AS x(t, s, a, u, c, f, y, al)`,
    [
      part.map((r) => r.terminalId),
      part.map((r) => r.seq),
      part.map((r) => r.atMs),
      part.map((r) => r.userId),
      part.map((r) => r.company),
      part.map((r) => r.fareYen),
      part.map((r) => r.subsidyYen),
      part.map((r) => r.alightInCity),
    ],
  );
}
const insertedMs = performance.now() - ins0;
const q0 = performance.now();
const fromDb = await ridesToSettle(db, MONTH_FROM, MONTH_TO, DEFAULT_RULES);
const queryMs = performance.now() - q0;
const monthSettle = timed(() => settle(fromDb, MONTH_FROM, MONTH_TO, DEFAULT_RULES));
await db.close();
console.log(
  `  month from PGlite: ${fromDb.length} rides, insert ${ms(insertedMs)}, query ${ms(queryMs)}, settle ${ms(monthSettle.ms)}`,
);

const sSettle = summarize(settleMs);
const sSort = summarize(sortMs);
const md = `## マイタク: settlement of one year (bench/taxi.bench.ts)

Machine: ${machine()}. Command: \`npm run bench -- taxi\`. Load average (1 min): ${loadAtStart} at the start, ${load()} at the end (2 cores shared with four other helpers' work: the times are several times what an idle machine gives).

The city: ${HOLDERS.toLocaleString('en')} holders × ${RIDES_EACH} rides in fiscal 2026 (2 a day), 1 % of them given a 71st ride (a third on one of their days); ${rides.length.toLocaleString('en')} rides, ${COMPANIES} companies, ${TERMINALS} terminals. Made in ${ms(made.ms)}, ${MB(heapRides)} of heap.

| step | median of ${RUNS} | min |
|---|---|---|
| \`settle\` (sort, count every holder's rides again, flags, totals per company) | ${ms(sSettle.median)} | ${ms(sSettle.min)} |
| peer: the bare sort of the same rides by holder and time | ${ms(sSort.median)} | ${ms(sSort.min)} |
| summary CSV (${st.companies.length} lines) | ${ms(sum.ms)} | |
| detail CSV (${st.rides.length.toLocaleString('en')} lines, ${MB(detailBytes)}) | ${ms(detail.ms)} | |

- \`settle\` takes ${ratio(sSettle.median, sSort.median)} the time of the bare sort.
- Memory: ${gc ? `the settlement holds ${MB(settleHeap)} of heap beyond the rides (the groups per holder and per company, one result per ride)` : 'heap figures need --expose-gc'}; peak RSS of the process ${MB(maxRss)}.
- Flags: ${[...flags].map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}; payable ${paid.toLocaleString('en')} yen.
- A month of the same city from the database (PGlite in memory, ${fromDb.length.toLocaleString('en')} rides): the query of \`ridesToSettle\` ${ms(queryMs)}, \`settle\` ${ms(monthSettle.ms)} (loading the rows took ${ms(insertedMs)}).
`;
await writeResults('taxi', md);
console.log('bench/RESULTS.md: taxi section written');
