/**
 * A checkpoint of the audit log (監査ログのチェックポイント): the Merkle tree's size
 * and root at a moment, signed by the platform's audit key (Ed25519). What is
 * signed is a short text, one fact a line (after Go's checksum database notes), so
 * anyone can check it with the public key and the answer of GET /v1/audit/checkpoint
 * alone. Pure: no database, no key store.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

/** The first line of every signed checkpoint text: what log, which format. */
export const CHECKPOINT_ORIGIN = 'myna-ap audit log v1';

export interface CheckpointBody {
  /** Rows in the tree (the last row's seq). */
  readonly size: number;
  /** MTH of the tree, hex. */
  readonly rootHash: string;
  /** When the sequencer made it, ISO 8601. */
  readonly at: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  /** `checkpointKeyId` of the signer; null when the server has no audit key. */
  readonly keyId: string | null;
  /** Ed25519 over `checkpointText`, base64; null when unsigned. */
  readonly signature: string | null;
}

export function checkpointText(c: CheckpointBody): string {
  return `${CHECKPOINT_ORIGIN}\n${c.size}\n${c.rootHash}\n${c.at}\n`;
}

/** The key's name: the first 16 hex digits of SHA-256 of its SubjectPublicKeyInfo. */
export function checkpointKeyId(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);
}

/** True when `c` is signed by the Ed25519 key `spkiDer` (its id and its signature). */
export function verifyCheckpointSignature(c: SignedCheckpoint, spkiDer: Uint8Array): boolean {
  if (c.keyId === null || c.signature === null) return false;
  if (c.keyId !== checkpointKeyId(spkiDer)) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(
      null,
      Buffer.from(checkpointText(c), 'utf8'),
      key,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
