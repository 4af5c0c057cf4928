/**
 * The audit log (監査ログ, issue 13, docs/audit.md) before and after the Merkle tree,
 * on PGlite and on PostgreSQL:
 *
 * - appends/s with 1 and with 32 writers, each append its own write transaction.
 *   "Before" is the old hash chain re-enacted here on tables of its own (every
 *   writer takes `LOCK TABLE` on the head, reads it and links its row to it, the
 *   code of store/audit.ts before migration 012); "after" is `appendAudit` as it is.
 * - the sequencer: one batch of SEQUENCE_BATCH rows integrated into the tree and
 *   its checkpoint signed (Ed25519), and a batch of one row;
 * - `verifyAudit` over every row (MYNA_AUDIT_ROWS, default 200,000 on PostgreSQL and
 *   50,000 on PGlite, made in the database in bulk with their real leaves);
 * - proof sizes at that size: inclusion (first, last, longest of a sample) and
 *   consistency, in hashes and in bytes of the HTTP answer.
 *
 *   nice -n 10 npm run bench -- audit
 *
 * Writes bench/RESULTS.md (section audit).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openPostgres, migrate, type Db, type Queryable } from '@myna-ap/db';
import { freshPglite, postgresUnavailable, startPostgres } from '@myna-ap/db/testing';
import {
  SEQUENCE_BATCH,
  appendAudit,
  auditConsistencyProof,
  auditInclusionProof,
  loaderMigrations,
  memoryAuditSigner,
  sequenceAllAudit,
  sequenceAudit,
  verifyAudit,
  rowHash,
  GENESIS_HASH,
} from '@myna-ap/loader';
import { contentLeaf } from '@myna-ap/loader/client';
import { machine, ms, ratio, writeResults } from './stats.ts';

const WRITERS = [1, 32] as const;
/** Appends per configuration (split among the writers). */
const APPENDS = Number(process.env.MYNA_AUDIT_APPENDS ?? 640);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const signer = memoryAuditSigner();

function entry(i: number) {
  return {
    actor: 'op_bench',
    action: 'card.load',
    target: `card_${i}`,
    detail: { providerId: `P${i % 2000}`, cardApId: `ap_${i % 4000}`, n: i },
  };
}

// ── before: the old chain, its own tables (what migration 001 made for audit_log)
const OLD_SCHEMA = `
  CREATE TABLE bench_chain_log (seq bigint PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,
    action text NOT NULL, target text, detail jsonb NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
  CREATE TABLE bench_chain_head (id integer PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL);
  INSERT INTO bench_chain_head VALUES (1, 0, '${GENESIS_HASH}');`;

async function oldAppend(tx: Queryable, i: number): Promise<void> {
  const h = (
    await tx.query<{ seq: string; hash: string }>(
      'SELECT seq, hash FROM bench_chain_head WHERE id = 1 FOR UPDATE',
    )
  ).rows[0]!;
  const e = entry(i);
  const detail = JSON.parse(JSON.stringify(e.detail)) as Record<string, unknown>;
  const row = {
    seq: Number(h.seq) + 1,
    at: new Date().toISOString(),
    actor: e.actor,
    action: e.action,
    target: e.target,
    detail,
  };
  const hash = rowHash(h.hash, row);
  await tx.query(
    `WITH appended AS (
       INSERT INTO bench_chain_log (seq, at, actor, action, target, detail, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8))
     UPDATE bench_chain_head SET seq = $1, hash = $8 WHERE id = 1`,
    [row.seq, row.at, row.actor, row.action, row.target, JSON.stringify(detail), h.hash, hash],
  );
}

/** `writers` loops side by side, APPENDS transactions in all: appends per second. */
async function appendsPerSecond(db: Db, writers: number, old: boolean): Promise<number> {
  const each = Math.ceil(APPENDS / writers);
  let i = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let k = 0; k < each; k++) {
        const n = i++;
        if (old)
          await db.transaction((tx) => oldAppend(tx, n), { lockTables: ['bench_chain_head'] });
        else await db.transaction((tx) => appendAudit(tx, entry(n)));
      }
    }),
  );
  return (each * writers) / ((performance.now() - t0) / 1000);
}

/** Rows appended in bulk (unsequenced, real leaves), 5,000 a statement. */
async function bulkAppend(db: Db, rows: number, from: number): Promise<void> {
  const at = new Date().toISOString();
  for (let a = 0; a < rows; a += 5000) {
    const ids: string[] = [];
    const details: string[] = [];
    const targets: string[] = [];
    const leaves: string[] = [];
    for (let i = a; i < Math.min(rows, a + 5000); i++) {
      const e = entry(from + i);
      const id = `au_${(from + i).toString(16).padStart(24, '0')}`;
      ids.push(id);
      targets.push(e.target);
      details.push(JSON.stringify(e.detail));
      leaves.push(
        Buffer.from(
          contentLeaf({
            id,
            at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
          }),
        ).toString('hex'),
      );
    }
    await db.query(
      `INSERT INTO audit_log (id, at, actor, action, target, detail, leaf_hash)
       SELECT id, $1, 'op_bench', 'card.load', target, detail::jsonb, decode(leaf, 'hex')
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS v(id, target, detail, leaf)`,
      [at, ids, targets, details, leaves],
    );
  }
}

interface Figures {
  readonly name: string;
  readonly before: Record<number, number>;
  readonly after: Record<number, number>;
  readonly batchMs: number;
  readonly oneMs: number;
  readonly rows: number;
  readonly bulk: number;
  readonly bulkMs: number;
  readonly sequenceAllMs: number;
  readonly verifyMs: number;
  readonly proofs: {
    first: number;
    last: number;
    longest: number;
    consistency: number;
    bytes: number;
  };
}

async function run(name: string, db: Db, rows: number): Promise<Figures> {
  await db.exec(OLD_SCHEMA);
  const before: Record<number, number> = {};
  const after: Record<number, number> = {};
  // Interleaved, the best of two: the machine is shared.
  for (const w of WRITERS) {
    for (let r = 0; r < 2; r++) {
      before[w] = Math.max(before[w] ?? 0, await appendsPerSecond(db, w, true));
      after[w] = Math.max(after[w] ?? 0, await appendsPerSecond(db, w, false));
    }
    console.log(
      `${name}: ${w} writers: before ${before[w]!.toFixed(0)}/s, after ${after[w]!.toFixed(0)}/s`,
    );
  }
  await sequenceAllAudit(db, { signer });

  // The sequencer: a full batch, then a batch of one.
  await bulkAppend(db, SEQUENCE_BATCH, 1_000_000);
  let t = performance.now();
  const full = await sequenceAudit(db, { signer, wait: true });
  const batchMs = performance.now() - t;
  if (full?.sequenced !== SEQUENCE_BATCH) throw new Error('the batch was not full');
  await db.transaction((tx) => appendAudit(tx, entry(0)));
  t = performance.now();
  await sequenceAudit(db, { signer, wait: true });
  const oneMs = performance.now() - t;

  // The rest of the rows, then verify every one.
  const bulk = Math.max(0, rows - (full.checkpoint!.size + 1));
  t = performance.now();
  await bulkAppend(db, bulk, 2_000_000);
  const bulkMs = performance.now() - t;
  t = performance.now();
  const cp = await sequenceAllAudit(db, { signer });
  const sequenceAllMs = performance.now() - t;
  t = performance.now();
  const v = await verifyAudit(db, { publicKey: signer.publicKey });
  const verifyMs = performance.now() - t;
  if (!v.ok || v.rows !== cp?.size) throw new Error(`verify: ${JSON.stringify(v)}`);
  console.log(`${name}: verify of ${v.rows} rows ${ms(verifyMs)}`);

  const size = cp.size;
  const lengths: number[] = [];
  let bytes = 0;
  for (const seq of [
    1,
    size,
    ...Array.from({ length: 30 }, (_, k) => 1 + Math.floor(((k + 0.5) * size) / 30)),
  ]) {
    const p = await auditInclusionProof(db, seq);
    lengths.push(p.proof.length);
    bytes = Math.max(bytes, JSON.stringify(p).length);
  }
  const c = await auditConsistencyProof(db, full.checkpoint!.size, size);
  return {
    name,
    before,
    after,
    batchMs,
    oneMs,
    rows: v.rows,
    bulk,
    bulkMs,
    sequenceAllMs,
    verifyMs,
    proofs: {
      first: lengths[0]!,
      last: lengths[1]!,
      longest: Math.max(...lengths),
      consistency: c.proof.length,
      bytes,
    },
  };
}

const startLoad = load();
const results: Figures[] = [];
{
  const db = await freshPglite([loaderMigrations]);
  results.push(await run('PGlite', db, Number(process.env.MYNA_AUDIT_ROWS_PGLITE ?? 50_000)));
  await db.close();
}
const why = postgresUnavailable();
let pgNote = '';
if (why) pgNote = `PostgreSQL not run: ${why}.`;
else {
  const pg = await startPostgres({ durable: true });
  // One connection per writer (the server's pool is 10; here the writers must not queue on the pool).
  const db = openPostgres(pg.url, 40);
  await migrate(db, [loaderMigrations]);
  results.push(await run('PostgreSQL', db, Number(process.env.MYNA_AUDIT_ROWS ?? 200_000)));
  await db.close();
  await pg.stop();
}
const endLoad = load();

const lines: string[] = [
  '## Audit log: hash chain before, Merkle tree after (bench/audit.bench.ts)',
  '',
  `\`nice -n 10 npm run bench -- audit\`, ${new Date().toISOString().slice(0, 10)}; ${machine()}; load average ${startLoad} at the start, ${endLoad} at the end (2 cores shared with other work: best of 2 interleaved runs). PostgreSQL with fsync on, one connection per writer; PGlite in memory. Each append is its own write transaction (SERIALIZABLE, as \`writeTransaction\`), ${APPENDS} per figure. "Before": the old chain re-enacted on tables of its own (\`LOCK TABLE\` on the head, read it, link the row); "after": \`appendAudit\`.`,
  '',
  '| database | writers | appends/s before (chain) | appends/s after (tree) | after / before |',
  '|---|---|---|---|---|',
];
for (const r of results)
  for (const w of WRITERS)
    lines.push(
      `| ${r.name} | ${w} | ${r.before[w]!.toFixed(0)} | ${r.after[w]!.toFixed(0)} | ${ratio(r.after[w]!, r.before[w]!)} |`,
    );
lines.push(
  '',
  '| database | sequencer: batch of ' +
    SEQUENCE_BATCH.toLocaleString('en') +
    ' rows + signed checkpoint | batch of 1 row | rows verified | verify | verify rows/s | inclusion proof (first / last / longest), hashes | consistency proof, hashes | largest proof answer |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const r of results)
  lines.push(
    `| ${r.name} | ${ms(r.batchMs)} | ${ms(r.oneMs)} | ${r.rows.toLocaleString('en')} | ${ms(r.verifyMs)} | ${(r.rows / (r.verifyMs / 1000)).toFixed(0)} | ${r.proofs.first} / ${r.proofs.last} / ${r.proofs.longest} (${r.proofs.longest * 32} bytes) | ${r.proofs.consistency} | ${r.proofs.bytes} bytes of JSON |`,
  );
lines.push(
  '',
  `Sequencing the bulk rows (${results.map((r) => `${r.name}: ${r.bulk.toLocaleString('en')} rows in ${ms(r.sequenceAllMs)}`).join('; ')}) — the sequencer's throughput, well above any append rate above. Verify reads every row and recomputes its leaf and the tree; it is linear, so 10 million rows take about ${results.map((r) => `${(((10_000_000 / r.rows) * r.verifyMs) / 1000 / 60).toFixed(0)} min on ${r.name}`).join(', ')} at these rates (extrapolated, not run: the machine is shared).`,
);
if (pgNote) lines.push('', pgNote);
console.log(lines.join('\n'));
await writeResults('audit', lines.join('\n'));
