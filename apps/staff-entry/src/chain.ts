/**
 * The entry log's hash chain (入退室記録の改ざん検知): each row's hash covers its
 * fields and the previous row's hash, and the head (the last seq and hash) is kept
 * beside the rows. So an edited row breaks its own hash, a deleted or reordered row
 * breaks the next row's link or the seq run, and a row cut from the end disagrees
 * with the head. Pure: the store reads the rows and calls `verifyChain`.
 */
import { createHash } from 'node:crypto';

/** The hash before the first row. */
export const GENESIS = '0'.repeat(64);

export interface EntryFields {
  readonly seq: number;
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly doorId: string;
  /** The touch card AP's user ID read at the door. */
  readonly userId: string;
  /** The staff member it belongs to, '' when the card is not registered. */
  readonly staffNo: string;
  /** Whether the door opened. */
  readonly opened: boolean;
  /** 'OPENED' or the refusal's code. */
  readonly code: string;
}

export interface EntryRow extends EntryFields {
  readonly prevHash: string;
  readonly hash: string;
}

/** SHA-256 over the previous hash and the fields in a fixed order (JSON of an array). */
export function rowHash(prevHash: string, f: EntryFields): string {
  const body = JSON.stringify([
    prevHash,
    f.seq,
    f.at,
    f.doorId,
    f.userId,
    f.staffNo,
    f.opened,
    f.code,
  ]);
  return createHash('sha256').update(body).digest('hex');
}

export type ChainVerdict =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly seq: number; readonly problem: string };

/** Checks rows in the order stored (by seq) against each other and the head. */
export function verifyChain(
  rows: readonly EntryRow[],
  head: { readonly seq: number; readonly hash: string },
): ChainVerdict {
  let prev = GENESIS;
  let expectSeq = 1;
  for (const r of rows) {
    if (r.seq !== expectSeq)
      return {
        ok: false,
        seq: r.seq,
        problem: `seq ${expectSeq} expected: a row is missing or moved`,
      };
    if (r.prevHash !== prev)
      return {
        ok: false,
        seq: r.seq,
        problem: 'does not link to the row before: a row was deleted, moved or edited',
      };
    if (rowHash(prev, r) !== r.hash)
      return {
        ok: false,
        seq: r.seq,
        problem: 'its hash does not match its contents: the row was edited',
      };
    prev = r.hash;
    expectSeq++;
  }
  const last = expectSeq - 1;
  if (head.seq !== last || head.hash !== prev)
    return {
      ok: false,
      seq: last + 1,
      problem: `the head says seq ${head.seq}: rows were cut from the end`,
    };
  return { ok: true, rows: rows.length };
}
