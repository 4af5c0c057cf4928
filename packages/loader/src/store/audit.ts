/**
 * Audit log (監査ログ): append-only, hash-chained. Each row stores
 * SHA-256(prev_hash ‖ "\n" ‖ canonical JSON of the row); `verifyAudit` walks the
 * chain and names the first row that does not hold. Every operator action and
 * API mutation appends one row in the same transaction as the change.
 */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '@myna-ap/db';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** Operator id, or `system`. */
  readonly actor: string;
  /** Dotted verb, e.g. `provider.create`, `login.failure`. */
  readonly action: string;
  readonly target?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRow {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

/** JSON with object keys sorted, no spaces: one byte string per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof v}`);
}

export function rowHash(prevHash: string, row: Omit<AuditRow, 'hash' | 'prevHash'>): string {
  const body = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail,
  });
  return createHash('sha256').update(`${prevHash}\n${body}`, 'utf8').digest('hex');
}

/**
 * A transaction that changes something (and so appends to the audit log): it
 * queues on the chain head before its snapshot, so concurrent writers wait their
 * turn instead of failing. The chain is one total order anyway.
 */
export function writeTransaction<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(fn, { lockTables: ['audit_head'] });
}

/** Appends one row inside the caller's transaction. Call it last: it locks the chain head. */
export async function appendAudit(
  tx: Queryable,
  entry: AuditEntry,
  now = new Date(),
): Promise<AuditRow> {
  const head = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
  );
  const h = head.rows[0];
  if (!h) throw new Error('audit_head is missing: the schema is damaged');
  // What jsonb gives back is what we hash: round-trip through JSON first.
  const detail = JSON.parse(JSON.stringify(entry.detail ?? {})) as Record<string, unknown>;
  const row = {
    seq: Number(h.seq) + 1,
    at: now.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    detail,
  };
  const hash = rowHash(h.hash, row);
  // The row and the new head in one statement (one round trip fewer per write).
  await tx.query(
    `WITH appended AS (
       INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8))
     UPDATE audit_head SET seq = $1, hash = $8 WHERE id = 1`,
    [row.seq, row.at, row.actor, row.action, row.target, JSON.stringify(detail), h.hash, hash],
  );
  return { ...row, prevHash: h.hash, hash };
}

interface DbAuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

function fromDb(r: DbAuditRow): AuditRow {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditQuery {
  readonly afterSeq?: number;
  readonly limit?: number;
  /** Only rows whose detail.providerId is this (for a provider's auditors). */
  readonly providerId?: string;
}

export async function listAudit(db: Queryable, q: AuditQuery = {}): Promise<AuditRow[]> {
  const params: unknown[] = [q.afterSeq ?? 0, Math.min(q.limit ?? 100, 1000)];
  let where = 'seq > $1';
  if (q.providerId !== undefined) {
    params.push(q.providerId);
    where += ` AND detail->>'providerId' = $3`;
  }
  const r = await db.query<DbAuditRow>(
    `SELECT * FROM audit_log WHERE ${where} ORDER BY seq LIMIT $2`,
    params,
  );
  return r.rows.map(fromDb);
}

export type AuditVerdict =
  | { readonly ok: true; readonly rows: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly rows: number;
      /** The first row that does not hold (or the head's seq for a cut tail). */
      readonly seq: number;
      readonly reason: 'hash_mismatch' | 'chain_broken' | 'gap' | 'head_mismatch';
    };

/** Walks the whole chain in seq order, in batches. */
export async function verifyAudit(db: Queryable, batch = 1000): Promise<AuditVerdict> {
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let rows = 0;
  for (;;) {
    const r = await db.query<DbAuditRow>(
      'SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2',
      [expectSeq, batch],
    );
    for (const raw of r.rows) {
      const row = fromDb(raw);
      if (row.seq !== expectSeq) return { ok: false, rows, seq: expectSeq, reason: 'gap' };
      if (row.prevHash !== prev) return { ok: false, rows, seq: row.seq, reason: 'chain_broken' };
      if (rowHash(prev, row) !== row.hash)
        return { ok: false, rows, seq: row.seq, reason: 'hash_mismatch' };
      prev = row.hash;
      expectSeq++;
      rows++;
    }
    if (r.rows.length < batch) break;
  }
  const head = (
    await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')
  ).rows[0];
  if (!head || Number(head.seq) !== rows || head.hash !== prev) {
    return { ok: false, rows, seq: rows + 1, reason: 'head_mismatch' };
  }
  return { ok: true, rows, headHash: prev };
}
