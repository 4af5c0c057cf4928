/**
 * Audit log (監査ログ): append-only and tamper-evident, a Merkle tree after
 * Certificate Transparency (RFC 9162) and Go's checksum database. docs/audit.md.
 *
 * - A writer appends its row in its own transaction, with no shared lock: the row
 *   gets a random id and its leaf hash SHA-256(0x00 ‖ canonical JSON of the row),
 *   and no position yet (`seq` NULL).
 * - The sequencer (`sequenceAudit`; the server runs it on a timer, verify and the
 *   checkpoint route call it too) takes the committed rows without a position, one
 *   batch at a time under an advisory lock, gives them the next seqs, stores the
 *   tree's new nodes and a checkpoint (size, root, time) signed by the platform's
 *   audit key. Seq order is the sequencer's order: a reader of "seq > n" never
 *   misses a row.
 * - `verifyAudit` recomputes every leaf and the root at every checkpoint; the
 *   proofs let anyone outside the database check a row and the log's growth.
 *
 * Rows of the hash chain before migration 012 keep their chain (prev_hash, hash)
 * and their leaf is SHA-256(0x00 ‖ their chain hash); they are the tree's first
 * leaves, in their old order.
 */
import type { Db, Queryable } from '@myna-ap/db';
import { LoaderError } from '../errors.ts';
import { newId } from '../domain/ids.ts';
import {
  EMPTY_FRONTIER,
  appendLeaves,
  consistencyPath,
  equalHash,
  foldParts,
  frontierRoot,
  inclusionPath,
  levelOf,
  perfectParts,
  type Frontier,
  type Hash,
  type Range,
} from '../domain/merkle.ts';
import {
  checkpointText,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '../domain/auditCheckpoint.ts';
import type { AuditSigner } from './context.ts';
import {
  GENESIS_HASH,
  canonicalJson,
  chainLeaf,
  contentLeaf,
  rowHash,
  type AuditContent,
} from '../domain/auditLeaf.ts';

export { GENESIS_HASH, canonicalJson, rowHash, contentLeaf, chainLeaf, type AuditContent };

/** pg_advisory_xact_lock key of the sequencer: 'myna' 'audt' as two 32-bit halves. */
const SEQUENCER_LOCK = [0x6d796e61, 0x61756474] as const;

/** Rows one sequencer transaction takes at most. */
export const SEQUENCE_BATCH = 10_000;

export interface AuditEntry {
  /** Operator id, or `system`. */
  readonly actor: string;
  /** Dotted verb, e.g. `provider.create`, `login.failure`. */
  readonly action: string;
  readonly target?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AppendedAudit extends AuditContent {
  /** SHA-256(0x00 ‖ canonical JSON of the content), hex. */
  readonly leafHash: string;
}

export interface AuditRow extends AppendedAudit {
  /** Its position in the tree (1 = the first leaf), given by the sequencer. */
  readonly seq: number;
  /** The old chain's links, for rows from before migration 012; null after. */
  readonly prevHash: string | null;
  readonly hash: string | null;
}

const hex = (h: Uint8Array): string => Buffer.from(h).toString('hex');

/**
 * A transaction that changes something (and so appends to the audit log). No
 * shared lock: writers of different rows run side by side. `feed: true` for a
 * writer of the status feed: it queues on `feed_order` before its snapshot, so
 * what it reads (the live card APs it tells) is after the status change before it.
 * (Any insert into the feed takes that lock anyway — the trigger of migration 012.)
 */
export function writeTransaction<T>(
  db: Db,
  fn: (tx: Queryable) => Promise<T>,
  options: { readonly feed?: boolean } = {},
): Promise<T> {
  return db.transaction(fn, options.feed ? { lockTables: ['feed_order'] } : undefined);
}

/** Appends one row inside the caller's transaction: one INSERT, no lock. */
export async function appendAudit(
  tx: Queryable,
  entry: AuditEntry,
  now = new Date(),
): Promise<AppendedAudit> {
  // What jsonb gives back is what we hash: round-trip through JSON first.
  const detail = JSON.parse(JSON.stringify(entry.detail ?? {})) as Record<string, unknown>;
  const row: AuditContent = {
    id: newId('au'),
    at: now.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    detail,
  };
  const leaf = contentLeaf(row);
  await tx.query(
    `INSERT INTO audit_log (id, at, actor, action, target, detail, leaf_hash)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, decode($7, 'hex'))`,
    [row.id, row.at, row.actor, row.action, row.target, JSON.stringify(detail), hex(leaf)],
  );
  return { ...row, leafHash: hex(leaf) };
}

interface DbAuditRow {
  id: string;
  seq: number | string | null;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
  leaf_hash: Uint8Array;
}

const ROW_COLUMNS = 'id, seq, at, actor, action, target, detail, prev_hash, hash, leaf_hash';

function fromDb(r: DbAuditRow): AuditRow {
  return {
    id: r.id,
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
    leafHash: hex(r.leaf_hash),
  };
}

export interface AuditQuery {
  readonly afterSeq?: number;
  readonly limit?: number;
  /** Only rows whose detail.providerId is this (for a provider's auditors). */
  readonly providerId?: string;
}

/** Sequenced rows in seq order (a row appended but not yet sequenced is not listed). */
export async function listAudit(db: Queryable, q: AuditQuery = {}): Promise<AuditRow[]> {
  const params: unknown[] = [q.afterSeq ?? 0, Math.min(q.limit ?? 100, 1000)];
  let where = 'seq > $1';
  if (q.providerId !== undefined) {
    params.push(q.providerId);
    where += ` AND detail->>'providerId' = $3`;
  }
  const r = await db.query<DbAuditRow>(
    `SELECT ${ROW_COLUMNS} FROM audit_log WHERE ${where} ORDER BY seq LIMIT $2`,
    params,
  );
  return r.rows.map(fromDb);
}

/** The row at `seq`, if sequenced. */
export async function auditRowAt(db: Queryable, seq: number): Promise<AuditRow | undefined> {
  const r = await db.query<DbAuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq = $1`, [
    seq,
  ]);
  return r.rows[0] && fromDb(r.rows[0]);
}

// --- the tree in the database ---

/** The hashes of aligned perfect subtrees: leaves from audit_log, the rest from audit_tree. */
async function perfectHashes(db: Queryable, ranges: readonly Range[]): Promise<Hash[]> {
  const key = (level: number, idx: number) => `${level}/${idx}`;
  const leaves: number[] = [];
  const levels: number[] = [];
  const idxs: number[] = [];
  for (const r of ranges) {
    const level = levelOf(r);
    if (level === 0) leaves.push(r.start + 1);
    else {
      levels.push(level);
      idxs.push(r.start / (r.end - r.start));
    }
  }
  const found = new Map<string, Hash>();
  if (leaves.length > 0) {
    const r = await db.query<{ seq: string | number; leaf_hash: Uint8Array }>(
      'SELECT seq, leaf_hash FROM audit_log WHERE seq = ANY($1::bigint[])',
      [leaves],
    );
    for (const x of r.rows) found.set(key(0, Number(x.seq) - 1), new Uint8Array(x.leaf_hash));
  }
  if (levels.length > 0) {
    const r = await db.query<{ level: number; idx: string | number; hash: Uint8Array }>(
      `SELECT t.level, t.idx, t.hash FROM audit_tree t
         JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx)
           ON t.level = w.level AND t.idx = w.idx`,
      [levels, idxs],
    );
    for (const x of r.rows) found.set(key(x.level, Number(x.idx)), new Uint8Array(x.hash));
  }
  return ranges.map((r) => {
    const level = levelOf(r);
    const h = found.get(key(level, r.start / (r.end - r.start)));
    if (!h) throw damaged(`the tree has no node for leaves ${r.start}–${r.end - 1}`);
    return h;
  });
}

/** The hash of each range of a proof (each a fold of its stored perfect parts). */
async function rangeHashes(db: Queryable, ranges: readonly Range[]): Promise<Hash[]> {
  const parts = ranges.map((r) => perfectParts(r));
  const flat = await perfectHashes(db, parts.flat());
  let i = 0;
  return parts.map((p) => foldParts(flat.slice(i, (i += p.length))));
}

function damaged(en: string): LoaderError {
  return new LoaderError(
    'AUDIT_DAMAGED',
    { en: `the audit log cannot be extended: ${en}`, ja: `監査ログを延長できません: ${en}` },
    500,
  );
}

interface DbCheckpoint {
  size: string | number;
  root: Uint8Array;
  at: Date;
  key_id: string | null;
  signature: Uint8Array | null;
}

function checkpointFromDb(r: DbCheckpoint): SignedCheckpoint {
  return {
    size: Number(r.size),
    rootHash: hex(r.root),
    at: new Date(r.at).toISOString(),
    keyId: r.key_id,
    signature: r.signature ? Buffer.from(r.signature).toString('base64') : null,
  };
}

/** The newest checkpoint, or the one of `size`. */
export async function auditCheckpoint(
  db: Queryable,
  size?: number,
): Promise<SignedCheckpoint | undefined> {
  const r =
    size === undefined
      ? await db.query<DbCheckpoint>(
          'SELECT size, root, at, key_id, signature FROM audit_checkpoints ORDER BY size DESC LIMIT 1',
        )
      : await db.query<DbCheckpoint>(
          'SELECT size, root, at, key_id, signature FROM audit_checkpoints WHERE size = $1',
          [size],
        );
  return r.rows[0] && checkpointFromDb(r.rows[0]);
}

export interface SequenceOutcome {
  /** Rows given a position in this batch. */
  readonly sequenced: number;
  /** The checkpoint made (the tree's new size), or the latest when nothing was new. */
  readonly checkpoint: SignedCheckpoint | undefined;
}

/**
 * One batch of the sequencer: committed rows without a position get the next
 * seqs (rows of the old chain first, in their order; then in the order appended), the
 * tree's new nodes are stored and a checkpoint of the new size is signed. Two
 * servers may call it at once: the advisory lock lets one through; the other
 * answers `undefined` at once (or waits, with `wait`).
 */
export async function sequenceAudit(
  db: Db,
  o: {
    readonly signer?: AuditSigner | undefined;
    readonly now?: Date;
    readonly batch?: number;
    readonly wait?: boolean;
  } = {},
): Promise<SequenceOutcome | undefined> {
  const batch = o.batch ?? SEQUENCE_BATCH;
  // READ COMMITTED under the lock: each statement sees every row committed so far,
  // and no writer is ever failed for the sequencer's sake.
  return db.transaction(
    async (tx) => {
      if (o.wait) await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [...SEQUENCER_LOCK]);
      else {
        const got = await tx.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1, $2) AS ok',
          [...SEQUENCER_LOCK],
        );
        if (!got.rows[0]?.ok) return undefined;
      }
      const latest = await auditCheckpoint(tx);
      const size = latest?.size ?? 0;
      const parts = perfectParts({ start: 0, end: size });
      const frontier: Frontier =
        size === 0 ? EMPTY_FRONTIER : { size, parts: await perfectHashes(tx, parts) };
      if (latest && hex(frontierRoot(frontier)) !== latest.rootHash)
        throw damaged(`the stored tree does not give the root of checkpoint ${size}`);
      // Rows of the old chain not yet in the tree (after migration 012): in seq order, no gap.
      const old = await tx.query<{ seq: string | number; leaf_hash: Uint8Array }>(
        'SELECT seq, leaf_hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
        [size, batch],
      );
      const leaves: Hash[] = [];
      old.rows.forEach((r, i) => {
        if (Number(r.seq) !== size + i + 1) throw damaged(`row ${size + i + 1} is missing`);
        leaves.push(new Uint8Array(r.leaf_hash));
      });
      if (leaves.length < batch) {
        const fresh = await tx.query<{ id: string; leaf_hash: Uint8Array }>(
          'SELECT id, leaf_hash FROM audit_log WHERE seq IS NULL ORDER BY appended LIMIT $1',
          [batch - leaves.length],
        );
        if (fresh.rows.length > 0) {
          const first = size + leaves.length + 1;
          const set = await tx.query(
            `UPDATE audit_log a SET seq = v.seq
               FROM unnest($1::text[], $2::bigint[]) AS v(id, seq)
              WHERE a.id = v.id AND a.seq IS NULL`,
            [fresh.rows.map((r) => r.id), fresh.rows.map((_, i) => first + i)],
          );
          if (set.rowCount !== fresh.rows.length)
            throw damaged('a row changed under the sequencer');
          for (const r of fresh.rows) leaves.push(new Uint8Array(r.leaf_hash));
        }
      }
      if (leaves.length === 0) return { sequenced: 0, checkpoint: latest };
      const grown = appendLeaves(frontier, leaves);
      const made = grown.made.filter((m) => m.range.end - m.range.start >= 2);
      if (made.length > 0) {
        await tx.query(
          `INSERT INTO audit_tree (level, idx, hash)
           SELECT level, idx, decode(h, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS v(level, idx, h)`,
          [
            made.map((m) => levelOf(m.range)),
            made.map((m) => m.range.start / (m.range.end - m.range.start)),
            made.map((m) => hex(m.hash)),
          ],
        );
      }
      const body = {
        size: grown.frontier.size,
        rootHash: hex(frontierRoot(grown.frontier)),
        at: (o.now ?? new Date()).toISOString(),
      };
      const signature = o.signer
        ? await o.signer.sign(Buffer.from(checkpointText(body), 'utf8'))
        : undefined;
      await tx.query(
        `INSERT INTO audit_checkpoints (size, root, at, key_id, signature)
         VALUES ($1, decode($2, 'hex'), $3, $4, decode($5, 'hex'))`,
        [
          body.size,
          body.rootHash,
          body.at,
          o.signer?.keyId ?? null,
          signature ? hex(signature) : null,
        ],
      );
      return {
        sequenced: leaves.length,
        checkpoint: {
          ...body,
          keyId: o.signer?.keyId ?? null,
          signature: signature ? Buffer.from(signature).toString('base64') : null,
        },
      };
    },
    { isolation: 'read committed' },
  );
}

/** Sequences until nothing is left (waiting for a sequencer already at work). */
export async function sequenceAllAudit(
  db: Db,
  o: {
    readonly signer?: AuditSigner | undefined;
    readonly now?: Date;
    readonly batch?: number;
  } = {},
): Promise<SignedCheckpoint | undefined> {
  for (;;) {
    const r = await sequenceAudit(db, { ...o, wait: true });
    if (!r || r.sequenced === 0) return r?.checkpoint;
  }
}

/**
 * The server's sequencer: a batch every `intervalMs` (and at once again while a
 * batch was full). Skips a turn while another server holds the lock.
 */
export function startAuditSequencer(
  db: Db,
  o: {
    readonly signer?: (() => Promise<AuditSigner>) | undefined;
    readonly intervalMs: number;
    readonly onError?: (e: unknown) => void;
  },
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const turn = async () => {
    const signer = await o.signer?.();
    for (;;) {
      const r = await sequenceAudit(db, { signer });
      if (stopped || !r || r.sequenced < SEQUENCE_BATCH) return;
    }
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = turn()
      .catch((e: unknown) => o.onError?.(e))
      .finally(() => (running = undefined));
  }, o.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

// --- proofs ---

function badRange(en: string, ja: string): LoaderError {
  return new LoaderError('AUDIT_BAD_RANGE', { en, ja }, 400);
}

async function needCheckpoint(db: Queryable, size?: number): Promise<SignedCheckpoint> {
  const c = await auditCheckpoint(db, size);
  if (!c)
    throw new LoaderError(
      'AUDIT_NO_CHECKPOINT',
      size === undefined
        ? {
            en: 'the audit log has no checkpoint yet',
            ja: '監査ログにはまだチェックポイントがありません',
          }
        : {
            en: `the audit log has no checkpoint of size ${size}`,
            ja: `監査ログに大きさ ${size} のチェックポイントはありません`,
          },
      404,
    );
  return c;
}

export interface InclusionProof {
  readonly row: AuditRow;
  /** The checkpoint the proof leads to (the newest unless a size was asked). */
  readonly checkpoint: SignedCheckpoint;
  /** RFC 9162 inclusion proof of leaf seq - 1 in the tree of checkpoint.size, hex. */
  readonly proof: readonly string[];
}

/** The proof that the row at `seq` is in the tree of a checkpoint. */
export async function auditInclusionProof(
  db: Queryable,
  seq: number,
  size?: number,
): Promise<InclusionProof> {
  const checkpoint = await needCheckpoint(db, size);
  if (seq < 1 || seq > checkpoint.size)
    throw badRange(
      `row ${seq} is not in the tree of ${checkpoint.size}`,
      `行 ${seq} は大きさ ${checkpoint.size} の木にありません`,
    );
  const row = await auditRowAt(db, seq);
  if (!row) throw damaged(`row ${seq} is missing`);
  const proof = await rangeHashes(db, inclusionPath(seq - 1, checkpoint.size));
  return { row, checkpoint, proof: proof.map(hex) };
}

export interface ConsistencyProof {
  readonly from: SignedCheckpoint;
  readonly to: SignedCheckpoint;
  /** RFC 9162 consistency proof from `from.size` to `to.size`, hex. */
  readonly proof: readonly string[];
}

/** The proof that the checkpoint of `from` is a prefix of that of `to` (default: the newest). */
export async function auditConsistencyProof(
  db: Queryable,
  from: number,
  to?: number,
): Promise<ConsistencyProof> {
  const second = await needCheckpoint(db, to);
  if (from < 1 || from > second.size)
    throw badRange(
      `no consistency proof from ${from} to ${second.size}`,
      `大きさ ${from} から ${second.size} への整合性の証明はありません`,
    );
  const first = await needCheckpoint(db, from);
  const proof = await rangeHashes(db, consistencyPath(from, second.size));
  return { from: first, to: second, proof: proof.map(hex) };
}

// --- verify ---

export type AuditVerdict =
  | {
      readonly ok: true;
      /** Sequenced rows checked. */
      readonly rows: number;
      /** Rows appended and not yet sequenced (their leaves checked too). */
      readonly pending: number;
      /** Checkpoints whose root (and signature, when a key was given) were checked. */
      readonly checkpoints: number;
      readonly rootHash: string;
      /** True when every checkpoint's signature was checked with the platform's key. */
      readonly signed: boolean;
    }
  | {
      readonly ok: false;
      readonly rows: number;
      /** The first row that does not hold (the first after the tree for a cut tail). */
      readonly seq: number;
      readonly reason:
        | 'hash_mismatch'
        | 'chain_broken'
        | 'gap'
        | 'head_mismatch'
        | 'root_mismatch'
        | 'bad_signature'
        | 'tail_cut';
    };

/**
 * Walks the whole log in seq order, in batches: every leaf recomputed from its
 * row (rows of the old chain: their links too), the root recomputed at every
 * checkpoint and compared, every checkpoint's signature checked when `publicKey`
 * (SPKI DER) is given; a checkpoint larger than the rows means a cut tail.
 */
export async function verifyAudit(
  db: Queryable,
  o: { readonly batch?: number; readonly publicKey?: Uint8Array | undefined } = {},
): Promise<AuditVerdict> {
  const batch = o.batch ?? 1000;
  let frontier = EMPTY_FRONTIER;
  let prevChain: string | null = GENESIS_HASH;
  let checked = 0;
  let lastGood = 0;
  let pendingCheckpoints: SignedCheckpoint[] = [];
  let checkpointsAfter = 0;
  const nextCheckpoints = async () => {
    const r = await db.query<DbCheckpoint>(
      'SELECT size, root, at, key_id, signature FROM audit_checkpoints WHERE size > $1 ORDER BY size LIMIT $2',
      [checkpointsAfter, batch],
    );
    pendingCheckpoints = r.rows.map(checkpointFromDb);
    if (pendingCheckpoints.length > 0) checkpointsAfter = pendingCheckpoints.at(-1)!.size;
  };
  await nextCheckpoints();
  const fail = (seq: number, reason: Extract<AuditVerdict, { ok: false }>['reason']) =>
    ({ ok: false, rows: frontier.size, seq, reason }) as const;

  for (;;) {
    const r = await db.query<DbAuditRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [frontier.size, batch],
    );
    for (const raw of r.rows) {
      const row = fromDb(raw);
      const seq = frontier.size + 1;
      if (row.seq !== seq) return fail(seq, 'gap');
      let leaf: Hash;
      if (row.hash !== null && row.prevHash !== null) {
        // A row of the old chain: only before every new row, linked to the one before.
        if (prevChain === null || row.prevHash !== prevChain) return fail(seq, 'chain_broken');
        if (rowHash(row.prevHash, row) !== row.hash) return fail(seq, 'hash_mismatch');
        leaf = chainLeaf(row.hash);
        prevChain = row.hash;
      } else {
        if (prevChain !== null) {
          const head = await chainHeadVerdict(db, seq - 1, prevChain);
          if (head) return fail(head, 'head_mismatch');
          prevChain = null;
        }
        leaf = contentLeaf(row);
      }
      if (hex(leaf) !== row.leafHash) return fail(seq, 'hash_mismatch');
      frontier = appendLeaves(frontier, [leaf]).frontier;
      // Every checkpoint of this size: its root, its signature.
      while (pendingCheckpoints[0] && pendingCheckpoints[0].size <= frontier.size) {
        const c = pendingCheckpoints.shift()!;
        if (!equalHash(frontierRoot(frontier), Buffer.from(c.rootHash, 'hex')))
          return fail(lastGood + 1, 'root_mismatch');
        if (o.publicKey && !verifyCheckpointSignature(c, o.publicKey))
          return fail(c.size, 'bad_signature');
        lastGood = c.size;
        checked++;
        if (pendingCheckpoints.length === 0) await nextCheckpoints();
      }
    }
    if (r.rows.length < batch) break;
  }
  if (prevChain !== null) {
    const head = await chainHeadVerdict(db, frontier.size, prevChain);
    if (head) return fail(head, 'head_mismatch');
  }
  // A checkpoint past the last row: rows were cut from the end.
  if (pendingCheckpoints.length > 0) return fail(frontier.size + 1, 'tail_cut');
  // Rows not yet sequenced: their leaves hold too.
  let pending = 0;
  for (let after = ''; ;) {
    const p = await db.query<DbAuditRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq IS NULL AND id > $1 ORDER BY id LIMIT $2`,
      [after, batch],
    );
    for (const raw of p.rows) {
      if (hex(contentLeaf(fromDb(raw))) !== hex(raw.leaf_hash))
        return fail(frontier.size + 1, 'hash_mismatch');
    }
    pending += p.rows.length;
    if (p.rows.length < batch) break;
    after = p.rows.at(-1)!.id;
  }
  return {
    ok: true,
    rows: frontier.size,
    pending,
    checkpoints: checked,
    rootHash: hex(frontierRoot(frontier)),
    signed: o.publicKey !== undefined && checked > 0,
  };
}

/** The old chain's end against its head row: the seq to report, or undefined when it holds. */
async function chainHeadVerdict(
  db: Queryable,
  rows: number,
  last: string,
): Promise<number | undefined> {
  const head = (
    await db.query<{ seq: string | number; hash: string }>(
      'SELECT seq, hash FROM audit_head WHERE id = 1',
    )
  ).rows[0];
  if (!head || Number(head.seq) !== rows || head.hash !== last) return rows + 1;
  return undefined;
}
