/**
 * What an audit row's leaf in the Merkle tree is (監査ログの葉): pure, shared by
 * the store (which stores it), the verifier and a client that checks a row it
 * was given with its inclusion proof (`myna audit proof`). docs/audit.md.
 */
import { createHash } from 'node:crypto';
import { leafHash, type Hash } from './merkle.ts';

/** The hash chain's start (rows before migration 012). */
export const GENESIS_HASH = '0'.repeat(64);

/** A row as appended: what its leaf hash covers. */
export interface AuditContent {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: Record<string, unknown>;
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

/** The old chain's row hash: SHA-256(prev ‖ "\n" ‖ canonical JSON), for rows before 012. */
export function rowHash(
  prevHash: string,
  row: Pick<AuditContent, 'at' | 'actor' | 'action' | 'target' | 'detail'> & {
    readonly seq: number;
  },
): string {
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

/** The leaf of a row appended since 012: SHA-256(0x00 ‖ canonical JSON of its content). */
export function contentLeaf(c: AuditContent): Hash {
  const { id, at, actor, action, target, detail } = c;
  return leafHash(Buffer.from(canonicalJson({ id, at, actor, action, target, detail }), 'utf8'));
}

/** The leaf of a row of the old chain: SHA-256(0x00 ‖ its chain hash as text). */
export function chainLeaf(hash: string): Hash {
  return leafHash(Buffer.from(hash, 'utf8'));
}
