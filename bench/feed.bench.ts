/**
 * The daily status list (1日1回連携) at national scale, on PostgreSQL (issue 13):
 * MYNA_FEED_INSTANCES card AP instances (default 100 million, two per card) held
 * by 2,000 providers, and 50,000 status changes in one day (a notice per instance on
 * each changed card). Data made in the database with generate_series, in batches,
 * foreign-key triggers off while loading (the rows are consistent by construction).
 * Then every provider's daily list as CSV through the API, the way its business
 * system fetches it (its own API client and token), 8 in flight: total time, and
 * memory — the server process's peak RSS and the peak of every PostgreSQL backend that
 * served it. The platform's whole list too. The floor to compare with: the same
 * provider query run bare in SQL (EXPLAIN ANALYZE's execution time, summed).
 *
 *   MYNA_FEED_INSTANCES=2000000 npm run bench -- feed     a quick run
 *
 * Writes bench/RESULTS.md (section feed).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startPostgres, postgresUnavailable } from '@myna-ap/db/testing';
import { MemoryKeyStore, TEST_CONFIG, login, startServer } from '@myna-ap/loader';
import { machine, writeResults } from './stats.ts';

const INSTANCES = Number(process.env.MYNA_FEED_INSTANCES ?? 100_000_000);
const CARDS = Math.ceil(INSTANCES / 2);
const PROVIDERS = 2000;
const CARD_APS = 2 * PROVIDERS;
const CHANGES = 50_000;
const BATCH = 2_000_000;
const IN_FLIGHT = 8;
/** Yesterday in Japan: a complete day on the server's real clock. */
const DAY = new Date(Date.now() + 9 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

const why = postgresUnavailable();
if (why) {
  console.error(`feed bench: PostgreSQL is needed (${why})`);
  process.exit(1);
}
const pg = await startPostgres({ durable: true });
const server = await startServer({
  port: 0,
  databaseUrl: pg.url,
  adminPassword: 'platform admin pw',
  config: TEST_CONFIG,
  keys: new MemoryKeyStore('test'),
  feedSigner: false,
  // Each provider's system calls from its own address, through this proxy (the token
  // endpoint's per-address limit counts them apart).
  trustProxy: '127.0.0.1',
});
const { db, ctx } = server;
console.log(
  `feed bench: ${INSTANCES.toLocaleString()} instances on ${CARDS.toLocaleString()} cards, ${PROVIDERS} providers, ${CHANGES} changes; ${machine()}; load ${load()}`,
);

// ── the data, made in the database
const t0 = performance.now();
const op = (await db.query<{ id: string }>("SELECT id FROM operators WHERE login = 'admin'"))
  .rows[0]!.id;
const sql = (text: string, params: unknown[] = []) => db.query(text, params);
await sql(
  `INSERT INTO providers (id, name, kind, municipality_code, legal_basis, contact, aid_prefix)
   SELECT 'P' || lpad(i::text, 4, '0'), '団体' || i, 'municipality', lpad(i::text, 6, '0'),
          '{"kind":"ordinance","reference":"条例","date":"2018-04-01"}', '{"name":"課"}',
          decode('D392' || lpad(to_hex(i), 6, '0'), 'hex')
     FROM generate_series(0, $1 - 1) i`,
  [PROVIDERS],
);
// Card AP k belongs to provider k % PROVIDERS; its AID is the provider's prefix and k / PROVIDERS.
const aid = (k: string) =>
  `decode('D392' || lpad(to_hex((${k}) % ${PROVIDERS}), 6, '0') || lpad(to_hex((${k}) / ${PROVIDERS}), 2, '0'), 'hex')`;
await sql(
  `INSERT INTO card_aps (id, provider_id, name, type, areas, status, aid, version, requested, pending, requested_at, requested_by)
   SELECT 'ap_' || k, 'P' || lpad((k % $1)::text, 4, '0'), 'AP ' || k, 'C', '["extended"]', 'approved',
          ${aid('k')}, 1, '{}', false, now(), $3
     FROM generate_series(0, $2 - 1) k`,
  [PROVIDERS, CARD_APS, op],
);
await sql(
  `INSERT INTO card_ap_versions (card_ap_id, version, size, access, spec, approved_at, approved_by)
   SELECT id, 1, 33, '{}', '{}', now(), $1 FROM card_aps`,
  [op],
);
const cardId = (i: string) => `lpad(to_hex(${i}), 16, '0')`;
// One connection for the bulk load, foreign-key triggers off (consistent by construction).
await db.transaction(async (tx) => {
  await tx.query('SET LOCAL session_replication_role = replica');
  for (let from = 0; from < CARDS; from += BATCH) {
    const to = Math.min(CARDS, from + BATCH) - 1;
    await tx.query(
      `INSERT INTO cards (card_id, municipality_code)
       SELECT ${cardId('i')}, lpad((i % ${PROVIDERS})::text, 6, '0') FROM generate_series($1::bigint, $2) i`,
      [from, to],
    );
    // Two card APs per card, of two providers: (i, i + 1) mod CARD_APS.
    await tx.query(
      `INSERT INTO card_ap_instances (id, card_id, area, card_ap_id, version, aid, user_id, provider_id,
                                      state, created_at, created_by, loaded_at, updated_at)
       SELECT 'in_' || i || '_' || j, ${cardId('i')}, 'extended', 'ap_' || ((i + j) % ${CARD_APS}), 1,
              ${aid(`(i + j) % ${CARD_APS}`)},
              substring(decode(md5(i || '-' || j), 'hex') from 1 for 13),
              'P' || lpad((((i + j) % ${CARD_APS}) % ${PROVIDERS})::text, 4, '0'),
              'loaded', now(), $3, now(), now()
         FROM generate_series($1::bigint, $2) i, generate_series(0, 1) j`,
      [from, to, op],
    );
    process.stdout.write(`\r  loaded ${(to + 1).toLocaleString()} cards; load ${load()}   `);
  }
});
process.stdout.write('\n');
// The day's 50,000 changes, spread over the cards and the day (Japan time), and a
// notice per instance on each changed card, as setCardStatus writes them.
const dayStart = new Date(`${DAY}T00:00:00+09:00`);
await sql(
  `INSERT INTO card_status_events (card_id, status, source, at)
   SELECT ${cardId(`(k::bigint * 7919) % ${CARDS}`)}, 'lost', 'call_center', $2::timestamptz + k * interval '1.7 seconds'
     FROM generate_series(0, $1 - 1) k`,
  [CHANGES, dayStart],
);
await sql(
  `INSERT INTO provider_notices (provider_id, kind, card_id, instance_id, detail, created_at)
   SELECT i.provider_id, 'card_status', e.card_id, i.id,
          jsonb_build_object('eventSeq', e.seq, 'status', 'lost', 'previous', 'active', 'source', 'call_center',
                             'cardApId', i.card_ap_id, 'aid', upper(encode(i.aid, 'hex')), 'userId', upper(encode(i.user_id, 'hex'))),
          e.at
     FROM card_status_events e JOIN card_ap_instances i ON i.card_id = e.card_id
    ORDER BY e.seq, i.id`,
);
await sql('ANALYZE');
const generated = (performance.now() - t0) / 1000;
const sizes = (
  await db.query<{ rel: string; size: string }>(
    `SELECT relname AS rel, pg_size_pretty(pg_total_relation_size(oid)) AS size FROM pg_class
      WHERE relname IN ('card_ap_instances', 'cards', 'provider_notices', 'card_status_events')`,
  )
).rows;
const notices = Number(
  (await db.query<{ n: string }>('SELECT count(*) AS n FROM provider_notices')).rows[0]!.n,
);
console.log(
  `data made in ${generated.toFixed(0)} s (${sizes.map((s) => `${s.rel} ${s.size}`).join(', ')}; ${notices} notices); load ${load()}`,
);

// ── every provider's business system: an API client, a token, its daily CSV
const platformToken = (await login(ctx, 'admin', 'platform admin pw')).token;
const call = async (
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  from = '127.0.0.1',
) => {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      'x-forwarded-for': from,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, text: await r.text() };
};
// One API client per provider, each asking its token from its own address.
const tokens: string[] = [];
for (let p = 0; p < PROVIDERS; p++) {
  const providerId = `P${String(p).padStart(4, '0')}`;
  const made = await call('POST', '/v1/clients', platformToken, { providerId, name: 'feed bench' });
  const { client, secret } = JSON.parse(made.text) as { client: { id: string }; secret: string };
  const tok = await call(
    'POST',
    '/v1/oauth/token',
    undefined,
    { grant_type: 'client_credentials', client_id: client.id, client_secret: secret },
    `10.${p >> 8}.${p & 255}.1`,
  );
  if (tok.status !== 200) throw new Error(`token: ${tok.status} ${tok.text}`);
  tokens.push((JSON.parse(tok.text) as { access_token: string }).access_token);
}

/** The PostgreSQL backends serving this database: pids. */
const backends = async (): Promise<number[]> =>
  (
    await db.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
    )
  ).rows.map((r) => r.pid);
const proc = (pid: number, file: string): string => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return ''; // gone, or not ours to read
  }
};
/** CPU seconds (user + system) the backends have used so far. */
const backendsCpu = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => {
    const f = proc(pid, 'stat').split(') ')[1]?.split(' ') ?? [];
    return sum + (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / 100;
  }, 0);
/** The backends' private memory now (RssAnon: not the shared buffers every backend maps), MiB. */
const backendsAnon = (pids: readonly number[]): number =>
  pids.reduce(
    (sum, pid) => sum + Number(/RssAnon:\s+(\d+) kB/.exec(proc(pid, 'status'))?.[1] ?? 0),
    0,
  ) / 1024;
const sharedBuffersMiB = Number(
  (
    await db.query<{ mb: string }>(
      "SELECT (setting::bigint * 8192 / 1048576)::text AS mb FROM pg_settings WHERE name = 'shared_buffers'",
    )
  ).rows[0]!.mb,
);

let next = 0;
let rows = 0;
let bytes = 0;
const pids = await backends();
let pgPeakMiB = backendsAnon(pids);
const sampler = setInterval(() => (pgPeakMiB = Math.max(pgPeakMiB, backendsAnon(pids))), 50);
const cpu0 = process.cpuUsage();
const pgCpu0 = backendsCpu(pids);
const l0 = performance.now();
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    for (let p = next++; p < PROVIDERS; p = next++) {
      const r = await call('GET', `/v1/feed/daily?date=${DAY}&format=csv`, tokens[p]!);
      if (r.status !== 200) throw new Error(`provider ${p}: ${r.status} ${r.text}`);
      rows += r.text.split('\r\n').length - 2;
      bytes += r.text.length;
    }
  }),
);
const listsS = (performance.now() - l0) / 1000;
clearInterval(sampler);
const cpu = process.cpuUsage(cpu0);
const nodeCpuS = (cpu.user + cpu.system) / 1e6;
const pgCpuS = backendsCpu(pids) - pgCpu0;
const pgMiB = pgPeakMiB + sharedBuffersMiB;
const nodeMiB = process.resourceUsage().maxRSS / 1024;
console.log(
  `all ${PROVIDERS} provider lists: ${listsS.toFixed(2)} s (CPU: server ${nodeCpuS.toFixed(2)} s, PostgreSQL ${pgCpuS.toFixed(2)} s), ${rows} lines, ${(bytes / 1e6).toFixed(1)} MB; peak RSS of the server process ${nodeMiB.toFixed(0)} MiB, PostgreSQL backends ${pgMiB.toFixed(0)} MiB with shared buffers; load ${load()}`,
);

const p0 = performance.now();
const all = await call('GET', `/v1/feed/daily?date=${DAY}`, platformToken);
const platformS = (performance.now() - p0) / 1000;
const platformCards = (JSON.parse(all.text) as { cards: unknown[] }).cards.length;
console.log(`the platform's list: ${platformS.toFixed(2)} s, ${platformCards} cards`);

// The floor: the provider query alone in the database, for 100 providers.
const from = new Date(`${DAY}T00:00:00+09:00`);
const to = new Date(from.getTime() + 86_400_000);
let sqlMs = 0;
for (let p = 0; p < 100; p++) {
  const plan = await db.query<{ 'QUERY PLAN': { 'Execution Time': number }[] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON)
     SELECT e.seq, e.card_id, e.status, e.source, e.at, n.instance_id, n.detail
       FROM provider_notices n JOIN card_status_events e ON e.seq = (n.detail->>'eventSeq')::bigint
      WHERE n.provider_id = $1 AND n.kind = 'card_status' AND e.at >= $2 AND e.at < $3`,
    [`P${String(p * 20).padStart(4, '0')}`, from, to],
  );
  sqlMs += plan.rows[0]!['QUERY PLAN'][0]!['Execution Time'];
}
const floorS = ((sqlMs / 100) * PROVIDERS) / 1000;
const endLoad = load();
console.log(
  `the bare query: ${(sqlMs / 100).toFixed(2)} ms a provider (×${PROVIDERS} = ${floorS.toFixed(2)} s); load ${endLoad}`,
);

await writeResults(
  'feed',
  `## Daily status list at national scale (bench/feed.bench.ts)

\`MYNA_FEED_INSTANCES=${INSTANCES} npm run bench -- feed\`, ${new Date().toISOString().slice(0, 10)}; ${machine()}; PostgreSQL with fsync on; load average at the end ${endLoad}.

${INSTANCES.toLocaleString('en')} card AP instances on ${CARDS.toLocaleString('en')} cards, ${PROVIDERS} providers, ${CHANGES.toLocaleString('en')} status changes in the day (${notices.toLocaleString('en')} notices); made with generate_series in ${generated.toFixed(0)} s (${sizes.map((s) => `${s.rel} ${s.size}`).join(', ')}).

| what | figure | goal |
|---|---|---|
| every provider's daily list as CSV through the API (its API client's token, ${IN_FLIGHT} in flight) | **${listsS.toFixed(2)} s** for ${PROVIDERS} lists, ${rows.toLocaleString('en')} lines, ${(bytes / 1e6).toFixed(1)} MB | < 10 s |
| CPU of those lists: the server process / the PostgreSQL backends | ${nodeCpuS.toFixed(2)} s / ${pgCpuS.toFixed(2)} s | |
| memory: peak RSS of the server process (the whole run) / the backends' private memory at peak plus shared buffers | ${nodeMiB.toFixed(0)} MiB / ${pgMiB.toFixed(0)} MiB | < 1 GB |
| the platform's whole list (JSON) | ${platformS.toFixed(2)} s, ${platformCards.toLocaleString('en')} cards | |
| the floor: the provider query bare in SQL (EXPLAIN ANALYZE, mean of 100 providers × ${PROVIDERS}) | ${floorS.toFixed(2)} s | |

The lists read the day's notices by provider (index \`(provider_id, eventSeq)\`) and the events they name: no scan of the instances, so the time follows the day's changes, not the number of cards.`,
);
await server.close();
await pg.stop();
